// Reference values computed independently with SciPy 1.17 (scipy.stats.beta.ppf / norm.ppf) and
// checked against textbook examples (Wilson 81/263: Agresti & Coull 1998 worked example;
// Clopper-Pearson 0/10 upper bound 1 − 0.025^(1/10) = 0.3085).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zForConfidence } from '../../src/evaluate/distributions.js';
import { formatProportion, type IntervalMethod, proportion } from '../../src/evaluate/intervals.js';

const close = (actual: number, expected: number, tol = 1e-6, what = ''): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected}`);

const reference: Array<[number, number, IntervalMethod, number, number]> = [
  [1220, 1285, 'wilson', 0.9360379325112204, 0.9601157348737807],
  [1220, 1285, 'clopper-pearson', 0.935978197154021, 0.9607468606188297],
  [1220, 1285, 'jeffreys', 0.9364097872472951, 0.9604021739542156],
  [1220, 1285, 'agresti-coull', 0.9359638622441698, 0.9601898051408316],
  [0, 10, 'wilson', 0, 0.2775327998628892],
  [0, 10, 'clopper-pearson', 0, 0.3084971078187607],
  [0, 10, 'jeffreys', 0, 0.21719626750921053],
  [0, 10, 'agresti-coull', 0, 0.3208873057505457],
  [10, 10, 'wilson', 0.7224672001371107, 1],
  [10, 10, 'clopper-pearson', 0.6915028921812392, 1],
  [10, 10, 'jeffreys', 0.7828037324907894, 1],
  [7233, 10000, 'wilson', 0.7144472880862291, 0.7319812182414267],
  [7233, 10000, 'clopper-pearson', 0.7144175963959687, 0.7320521873555796],
  [77, 10000, 'wilson', 0.006165744043271591, 0.009612340752496585],
  [77, 10000, 'clopper-pearson', 0.006081359433550552, 0.009614411102987167],
  [26, 1285, 'jeffreys', 0.01357467871261122, 0.029047110556527526],
  [81, 263, 'wilson', 0.2552885198782742, 0.36620957698280004],
  [81, 263, 'agresti-coull', 0.25522066518999675, 0.3662774316710775],
];

test('z for 95% is 1.959964', () => close(zForConfidence(0.95), 1.959963984540054, 1e-9));

for (const [k, n, method, lo, hi] of reference) {
  test(`${method} ${k}/${n} = [${lo.toFixed(5)}, ${hi.toFixed(5)}]`, () => {
    const p = proportion(k, n, method);
    assert.equal(p.k, k);
    assert.equal(p.n, n);
    close(p.value, k / n, 1e-12, 'value');
    close(p.lo, lo, 1e-6, 'lo');
    close(p.hi, hi, 1e-6, 'hi');
  });
}

test('Wald 7233/10000 is p ± 1.96·√(p(1−p)/n) = ±0.008768', () => {
  const p = proportion(7233, 10000, 'wald');
  close(p.hi - p.value, 0.0087676, 1e-6);
  close(p.value - p.lo, 0.0087676, 1e-6);
  // Wald collapses to a point at k = 0: the reason it is only offered for planning
  const zero = proportion(0, 50, 'wald');
  assert.equal(zero.lo, 0);
  assert.equal(zero.hi, 0);
});

test('n = 0 gives an unknown value and the whole [0, 1] interval', () => {
  const p = proportion(0, 0);
  assert.ok(Number.isNaN(p.value));
  assert.deepEqual([p.lo, p.hi], [0, 1]);
  assert.equal(formatProportion(p), 'n/a (0/0)');
});

test('invalid counts are rejected', () => {
  assert.throws(() => proportion(5, 4), RangeError);
  assert.throws(() => proportion(-1, 4), RangeError);
  assert.throws(() => proportion(1.5, 4), RangeError);
});

test('formatProportion shows value, interval and counts', () => {
  assert.equal(formatProportion(proportion(7233, 10000)), '72.33% [71.44–73.20] (7233/10000)');
});
