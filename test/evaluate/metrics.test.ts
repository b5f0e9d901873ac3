// Hand-computed references for metrics, ROC/AUC (with ties), thresholds, calibration,
// deployment figures and area-under-time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calibrationReport, fitIsotonic, fitPlatt, plattCalibrator } from '../../src/evaluate/calibration.js';
import { deploymentView } from '../../src/evaluate/deployment.js';
import { proportion } from '../../src/evaluate/intervals.js';
import {
  binaryRates,
  classificationMetrics,
  type Outcome,
  ratesAtThreshold,
} from '../../src/evaluate/metrics.js';
import { aut, overTime, periodOf } from '../../src/evaluate/over-time.js';
import { aucInterval, rocCurve, thinRoc, thresholdForFpr } from '../../src/evaluate/roc.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

const outcomes = (rows: Array<[string, string | null, number]>): Outcome[] =>
  rows.flatMap(([actual, predicted, count]) => Array.from({ length: count }, () => ({ actual, predicted })));

test('confusion, accuracy, per-label precision/recall/F1 and macro-F1', () => {
  // 1: 8 right, 2 as 0; 0: 85 right, 5 as 1
  const o = outcomes([
    ['1', '1', 8],
    ['1', '0', 2],
    ['0', '0', 85],
    ['0', '1', 5],
  ]);
  const m = classificationMetrics(o, ['0', '1']);
  assert.deepEqual(m.confusion.matrix, [
    [85, 5],
    [2, 8],
  ]);
  assert.equal(m.accuracy.k, 93);
  assert.equal(m.accuracy.n, 100);
  const one = m.perLabel.get('1');
  assert.ok(one);
  close(one.precision, 8 / 13);
  close(one.recall, 0.8);
  close(one.f1, (2 * (8 / 13) * 0.8) / (8 / 13 + 0.8));
  assert.equal(one.support, 10);
  const zero = m.perLabel.get('0');
  assert.ok(zero);
  close(zero.precision, 85 / 87);
  close(m.macroF1, (one.f1 + zero.f1) / 2);
  const r = binaryRates(o, '1');
  assert.deepEqual([r.tpr.k, r.tpr.n, r.fpr.k, r.fpr.n], [8, 10, 5, 90]);
  assert.deepEqual(r.tpr, proportion(8, 10));
});

test('labels that come from malware are kept apart from object internals', () => {
  const o = outcomes([
    ['__proto__', '__proto__', 3],
    ['constructor', '__proto__', 1],
  ]);
  const m = classificationMetrics(o, ['__proto__', 'constructor']);
  assert.equal(m.perLabel.get('__proto__')?.support, 3);
  assert.equal(m.perLabel.get('constructor')?.recall, 0);
  assert.equal(Object.getPrototypeOf(Object.fromEntries(m.perLabel)), Object.prototype);
});

test('unpredicted samples count as wrong', () => {
  const m = classificationMetrics(
    outcomes([
      ['a', null, 2],
      ['a', 'a', 2],
    ]),
    ['a'],
  );
  assert.equal(m.accuracy.k, 2);
  assert.deepEqual(m.confusion.unpredicted, [2]);
  assert.equal(m.perLabel.get('a')?.recall, 0.5);
});

const y = [1, 1, 0, 1, 0, 0, 1, 0, 0, 0];
const s = [0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.5, 0.2, 0.1, 0.1];
const scored = y.map((v, i) => ({ positive: v === 1, score: s[i] }));

test('ROC AUC counts ties as one half (20.5 of 24 pairs)', () => {
  const roc = rocCurve(scored);
  close(roc.auc, 20.5 / 24);
  assert.equal(roc.positives, 4);
  assert.equal(roc.negatives, 6);
  // one point per distinct score plus the origin; ends at (1, 1)
  assert.equal(roc.points.length, 1 + 6);
  assert.deepEqual(roc.points.at(-1), { fpr: 1, tpr: 1, threshold: 0.1 });
  // the tied 0.8 pair moves diagonally
  assert.deepEqual(roc.points[2], { fpr: 1 / 6, tpr: 0.5, threshold: 0.8 });
  assert.equal(thinRoc(roc.points, 3).length, 3);
  const [lo, hi] = aucInterval(roc.auc, 4, 6);
  assert.ok(lo < roc.auc && roc.auc < hi && hi <= 1);
});

test('AUC is 1 for perfect separation and 0.5 for constant scores', () => {
  close(rocCurve(y.map((v) => ({ positive: v === 1, score: v }))).auc, 1);
  close(rocCurve(y.map((v) => ({ positive: v === 1, score: 3 }))).auc, 0.5);
});

test('threshold for a target FPR is chosen on given scores and applied with >', () => {
  // 6 negatives: 0.8 0.5 0.5 0.2 0.1 0.1; FPR ≤ 1/6 allows one negative above the threshold
  const t = thresholdForFpr(scored, 1 / 6);
  assert.equal(t.threshold, 0.5);
  close(t.fpr, 1 / 6);
  const r = ratesAtThreshold(scored, t.threshold);
  assert.deepEqual([r.tpr.k, r.tpr.n, r.fpr.k, r.fpr.n], [3, 4, 1, 6]);
  // FPR 0 → above every negative
  assert.equal(thresholdForFpr(scored, 0).threshold, 0.8);
});

test('isotonic calibration pools adjacent violators', () => {
  const f = fitIsotonic(scored);
  close(f(0.1), 0);
  close(f(0.7), 0.75);
  close(f(0.8), 0.875);
  close(f(0.9), 1);
  close(f(0.49), ((0.49 - 0.28) / 0.42) * 0.75);
});

test('Platt scaling reaches a stationary point of the regularised log-likelihood', () => {
  const p = fitPlatt(scored);
  assert.ok(p.a < 0, 'probability rises with the score');
  const hi = 5 / 6;
  const lo = 1 / 8;
  const nll = (a: number, b: number) =>
    scored.reduce((acc, x) => {
      const q = 1 / (1 + Math.exp(a * x.score + b));
      const t = x.positive ? hi : lo;
      return acc - (t * Math.log(q) + (1 - t) * Math.log(1 - q));
    }, 0);
  const h = 1e-5;
  close((nll(p.a + h, p.b) - nll(p.a - h, p.b)) / (2 * h), 0, 1e-4);
  close((nll(p.a, p.b + h) - nll(p.a, p.b - h)) / (2 * h), 0, 1e-4);
  const cal = plattCalibrator(p);
  assert.ok(cal(0.9) > cal(0.1));
});

test('reliability diagram bins, Brier score and ECE', () => {
  const r = calibrationReport('isotonic', scored, scored);
  const total = r.bins.reduce((acc, b) => acc + b.observed.n, 0);
  assert.equal(total, 10);
  assert.ok(r.brier >= 0 && r.brier < 0.25);
  assert.ok(r.ece >= 0 && r.ece < 0.5);
  for (const b of r.bins) assert.ok(b.predicted >= b.lo && b.predicted <= b.hi);
});

test('deployment view: precision and false alarms at 1% prevalence, 50,000 a day', () => {
  const tpr = proportion(7233, 10000);
  const fpr = proportion(77, 10000);
  const d = deploymentView(tpr, fpr, 0.01, 50000);
  close(d.precision.value, (0.7233 * 0.01) / (0.7233 * 0.01 + 0.0077 * 0.99));
  close(d.false_alarms_per_day.value, 0.0077 * 0.99 * 50000, 1e-6);
  close(d.false_alarms_per_day.lo, fpr.lo * 0.99 * 50000, 1e-6);
  close(d.detections_per_day.value, 0.7233 * 500, 1e-6);
  // precision is lowest with the lowest TPR and the highest FPR
  close(d.precision.lo, (tpr.lo * 0.01) / (tpr.lo * 0.01 + fpr.hi * 0.99));
  assert.ok(d.precision.lo < d.precision.value && d.precision.value < d.precision.hi);
  close(d.missed_per_day.hi, (1 - tpr.lo) * 500, 1e-6);
});

test('periods and area under time', () => {
  assert.equal(periodOf('2026-01-31T23:00:00Z', 'month'), '2026-01');
  assert.equal(periodOf('2026-03-31T23:00:00Z', 'quarter'), '2026-Q1');
  assert.equal(periodOf('2026-04-01T00:00:00Z', 'quarter'), '2026-Q2');
  assert.equal(periodOf('2026-12-01T00:00:00+02:00', 'day'), '2026-11-30');
  assert.equal(aut([1]), null);
  close(aut([1, 0.5, 0]) ?? -1, 0.5);
  close(aut([1, 1, 0.4]) ?? -1, (1 + 0.7) / 2);
  const o = [
    { actual: 'm', predicted: 'm', time: '2026-01-05T00:00:00Z' },
    { actual: 'b', predicted: 'b', time: '2026-01-06T00:00:00Z' },
    { actual: 'm', predicted: 'b', time: '2026-02-05T00:00:00Z' },
    { actual: 'm', predicted: 'm', time: '2026-02-06T00:00:00Z' },
    { actual: 'b', predicted: 'm', time: '2026-02-07T00:00:00Z' },
  ];
  const t = overTime(o, 'm', 'month');
  assert.deepEqual(
    t.periods.map((p) => [p.period, p.n, p.tpr.k, p.tpr.n, p.fpr.k, p.fpr.n]),
    [
      ['2026-01', 2, 1, 1, 0, 1],
      ['2026-02', 3, 1, 2, 1, 1],
    ],
  );
  close(t.periods[1].f1, 0.5);
  close(t.aut_f1 ?? -1, 0.75);
});
