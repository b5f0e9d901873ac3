// Hand-computed references: Wald n = ⌈1.959964²·p(1−p)/E²⌉ (9604 for p = 0.5, E = 0.01); Wilson at
// p = 0.5 has half-width z/(2√(n+z²)), so n = ⌈z²/4E² − z²⌉ = 9600; the Clopper-Pearson figures
// come from an independent linear search with SciPy's beta quantiles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planMargin, planSampleSize } from '../../src/evaluate/plan.js';

const byMethod = (r: ReturnType<typeof planMargin>, m: string) => {
  const f = r.methods.find((x) => x.method === m);
  assert.ok(f, m);
  return f;
};
const close = (a: number, b: number, tol: number): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('sample size for ±1 point at p = 0.5: Wald 9604, Wilson 9600, Clopper-Pearson 9701', () => {
  const r = planSampleSize(0.5, 0.01);
  assert.equal(byMethod(r, 'wald').n, 9604);
  assert.equal(byMethod(r, 'wilson').n, 9600);
  assert.equal(byMethod(r, 'clopper-pearson').n, 9701);
  for (const f of r.methods) assert.ok(f.margin <= 0.01);
});

test('sample size for the research TPR (72.33% ± 0.877 points)', () => {
  const r = planSampleSize(0.7233, 0.00877);
  assert.equal(byMethod(r, 'wald').n, 9996);
  assert.equal(byMethod(r, 'wilson').n, 9994);
  assert.equal(byMethod(r, 'clopper-pearson').n, 10108);
});

test('sample size for a low FPR (0.77% ± 0.1 point) is dominated by the exact interval', () => {
  const r = planSampleSize(0.0077, 0.001);
  assert.equal(byMethod(r, 'wald').n, 29352);
  assert.equal(byMethod(r, 'wilson').n, 29469);
  assert.equal(byMethod(r, 'clopper-pearson').n, 30381);
});

test('margin of n = 10000 at p = 0.7233', () => {
  const r = planMargin(10000, 0.7233);
  close(byMethod(r, 'wald').margin, 0.0087676, 1e-6);
  close(byMethod(r, 'wilson').margin, 0.008766965077598776, 1e-8);
  close(byMethod(r, 'clopper-pearson').margin, 0.008817295479805587, 1e-8);
  close(byMethod(r, 'clopper-pearson').lo, 0.7144175963959687, 1e-8);
});

test('90% confidence needs fewer samples than 99%', () => {
  const n90 = byMethod(planSampleSize(0.5, 0.01, 0.9), 'wald').n;
  const n99 = byMethod(planSampleSize(0.5, 0.01, 0.99), 'wald').n;
  assert.equal(n90, 6764); // 1.644854²·0.25/0.0001 = 6763.9
  assert.equal(n99, 16588); // 2.575829²·0.25/0.0001 = 16587.4
});

test('out-of-range inputs are rejected', () => {
  assert.throws(() => planSampleSize(1.5, 0.01), RangeError);
  assert.throws(() => planSampleSize(0.5, 0), RangeError);
  assert.throws(() => planMargin(0, 0.5), RangeError);
});
