// Turning scores into probabilities of "positive", fitted on training scores:
//   Platt scaling: P = 1 / (1 + exp(A·s + B)), A and B by Newton's method with backtracking on
//   the regularised targets of Platt (1999) — the algorithm of Lin, Lin & Weng, "A note on
//   Platt's probabilistic outputs for support vector machines", Machine Learning 68, 2007.
//   Isotonic: pool-adjacent-violators (Zadrozny & Elkan, KDD 2002), a non-decreasing step
//   function of the score, interpolated linearly between block centres.
// The reliability diagram bins test probabilities into equal-width bins and compares the mean
// predicted probability with the observed positive share (with its interval); ECE is the
// sample-weighted mean gap; Brier is the mean squared error of the probabilities.
import { type IntervalMethod, type Proportion, proportion } from './intervals.js';
import type { ScoredSample } from './roc.js';

export const calibrationMethods = ['platt', 'isotonic'] as const;
export type CalibrationMethod = (typeof calibrationMethods)[number];

export type Calibrator = (score: number) => number;

export interface PlattParameters {
  a: number;
  b: number;
}

/** Fits Platt's sigmoid on scored samples. */
export function fitPlatt(samples: ScoredSample[]): PlattParameters {
  const prior1 = samples.filter((s) => s.positive).length;
  const prior0 = samples.length - prior1;
  const hiTarget = (prior1 + 1) / (prior1 + 2);
  const loTarget = 1 / (prior0 + 2);
  const t = samples.map((s) => (s.positive ? hiTarget : loTarget));
  const f = samples.map((s) => s.score);
  const sigma = 1e-12;
  let a = 0;
  let b = Math.log((prior0 + 1) / (prior1 + 1));
  const objective = (a: number, b: number): number => {
    let v = 0;
    for (let i = 0; i < f.length; i++) {
      const fApB = f[i] * a + b;
      v +=
        fApB >= 0
          ? t[i] * fApB + Math.log1p(Math.exp(-fApB))
          : (t[i] - 1) * fApB + Math.log1p(Math.exp(fApB));
    }
    return v;
  };
  let fval = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < f.length; i++) {
      const fApB = f[i] * a + b;
      const p = fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
      const q = 1 - p;
      const d2 = p * q;
      h11 += f[i] * f[i] * d2;
      h22 += d2;
      h21 += f[i] * d2;
      const d1 = t[i] - p;
      g1 += f[i] * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const dA = -(h22 * g1 - h21 * g2) / det;
    const dB = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * dA + g2 * dB;
    let step = 1;
    while (step >= 1e-10) {
      const newA = a + step * dA;
      const newB = b + step * dB;
      const newF = objective(newA, newB);
      if (newF < fval + 1e-4 * step * gd) {
        a = newA;
        b = newB;
        fval = newF;
        break;
      }
      step /= 2;
    }
    if (step < 1e-10) break;
  }
  return { a, b };
}

export function plattCalibrator({ a, b }: PlattParameters): Calibrator {
  return (s) => {
    const fApB = s * a + b;
    return fApB >= 0 ? Math.exp(-fApB) / (1 + Math.exp(-fApB)) : 1 / (1 + Math.exp(fApB));
  };
}

/** Fits an isotonic (non-decreasing) map from score to probability by pool-adjacent-violators. */
export function fitIsotonic(samples: ScoredSample[]): Calibrator {
  const sorted = [...samples].sort((x, y) => x.score - y.score);
  // blocks: [sum of targets, count, sum of scores]
  const blocks: Array<{ sum: number; count: number; scoreSum: number }> = [];
  for (const s of sorted) {
    blocks.push({ sum: s.positive ? 1 : 0, count: 1, scoreSum: s.score });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const prev = blocks[blocks.length - 2];
      if (prev.sum / prev.count < last.sum / last.count) break;
      prev.sum += last.sum;
      prev.count += last.count;
      prev.scoreSum += last.scoreSum;
      blocks.pop();
    }
  }
  const xs = blocks.map((b) => b.scoreSum / b.count);
  const ys = blocks.map((b) => b.sum / b.count);
  return (score) => {
    if (xs.length === 0) return 0.5;
    if (score <= xs[0]) return ys[0];
    if (score >= xs[xs.length - 1]) return ys[ys.length - 1];
    let lo = 0;
    let hi = xs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= score) lo = mid;
      else hi = mid;
    }
    const w = (score - xs[lo]) / (xs[hi] - xs[lo]);
    return ys[lo] + w * (ys[hi] - ys[lo]);
  };
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  /** Mean predicted probability in the bin. */
  predicted: number;
  /** Observed share of positives, with counts and interval. */
  observed: Proportion;
}

export interface CalibrationReport {
  method: CalibrationMethod;
  /** Platt parameters (P = 1/(1+exp(a·s+b))), for the Platt method. */
  platt?: PlattParameters;
  fitted_on: number;
  brier: number;
  ece: number;
  bins: ReliabilityBin[];
}

export function fitCalibrator(
  method: CalibrationMethod,
  train: ScoredSample[],
): { calibrate: Calibrator; platt?: PlattParameters } {
  if (method === 'isotonic') return { calibrate: fitIsotonic(train) };
  const platt = fitPlatt(train);
  return { calibrate: plattCalibrator(platt), platt };
}

/** Fits on `train`, evaluates on `test`: reliability bins, Brier score and ECE. */
export function calibrationReport(
  method: CalibrationMethod,
  train: ScoredSample[],
  test: ScoredSample[],
  ci: IntervalMethod = 'wilson',
  binCount = 10,
): CalibrationReport {
  const { calibrate, platt } = fitCalibrator(method, train);
  const sums = new Array<number>(binCount).fill(0);
  const positives = new Array<number>(binCount).fill(0);
  const counts = new Array<number>(binCount).fill(0);
  let brier = 0;
  for (const s of test) {
    const p = calibrate(s.score);
    brier += (p - (s.positive ? 1 : 0)) ** 2;
    const bin = Math.min(binCount - 1, Math.floor(p * binCount));
    sums[bin] += p;
    counts[bin]++;
    if (s.positive) positives[bin]++;
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  for (let i = 0; i < binCount; i++) {
    if (counts[i] === 0) continue;
    const predicted = sums[i] / counts[i];
    const observed = proportion(positives[i], counts[i], ci);
    ece += (counts[i] / test.length) * Math.abs(predicted - observed.value);
    bins.push({ lo: i / binCount, hi: (i + 1) / binCount, predicted, observed });
  }
  const report: CalibrationReport = {
    method,
    fitted_on: train.length,
    brier: test.length ? brier / test.length : Number.NaN,
    ece,
    bins,
  };
  if (platt) report.platt = platt;
  return report;
}
