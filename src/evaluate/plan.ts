// Sample-size planning for estimating a rate (TPR, FPR, accuracy) to a margin of error.
//   Wald:   n = ⌈z²·p(1−p)/E²⌉ (the textbook formula, e.g. Cochran, Sampling Techniques, 1977, §4.4)
//   Wilson, Clopper-Pearson: the smallest n whose interval around k = p·n has half-width ≤ E,
//   found by bisection (the half-width falls with n). Clopper-Pearson is evaluated with the
//   expected count p·n (beta quantiles accept a fractional count), so the figure is the
//   planning value, not that of one particular integer outcome.
// "Margin" is half the interval's width; Wilson and Clopper-Pearson intervals are asymmetric,
// so their bounds are reported too.
import { zForConfidence } from './distributions.js';
import { interval } from './intervals.js';

export const planMethods = ['wald', 'wilson', 'clopper-pearson'] as const;
export type PlanMethod = (typeof planMethods)[number];

export interface PlanFigure {
  method: PlanMethod;
  /** Sample size (given, or needed for the margin). */
  n: number;
  /** Half-width of the interval at that n. */
  margin: number;
  /** Interval bounds around the expected rate at that n. */
  lo: number;
  hi: number;
}

export interface PlanResult {
  confidence: number;
  p: number;
  /** The margin asked for (sample-size question), or undefined (margin question). */
  target_margin?: number;
  /** The sample size given (margin question). */
  given_n?: number;
  methods: PlanFigure[];
}

/** The interval at n for expected rate p, and its half-width. */
export function marginFor(method: PlanMethod, p: number, n: number, confidence: number): PlanFigure {
  const [lo, hi] = interval(p * n, n, method, confidence);
  // Wald is symmetric and unclipped for planning: report z·√(p(1−p)/n) even near 0 and 1.
  const margin =
    method === 'wald' ? zForConfidence(confidence) * Math.sqrt((p * (1 - p)) / n) : (hi - lo) / 2;
  return { method, n, margin, lo, hi };
}

const maxPlannedN = 1e12;

/** The smallest n whose margin is at most `margin`. */
export function sampleSizeFor(method: PlanMethod, p: number, margin: number, confidence: number): PlanFigure {
  if (method === 'wald') {
    const z = zForConfidence(confidence);
    // A tiny epsilon keeps exact textbook cases (9603.65 → 9604) from rounding up on float noise.
    const n = Math.max(1, Math.ceil((z * z * p * (1 - p)) / (margin * margin) - 1e-9));
    return marginFor(method, p, n, confidence);
  }
  let lo = 1;
  if (marginFor(method, p, lo, confidence).margin <= margin) return marginFor(method, p, lo, confidence);
  let hi = 2;
  while (marginFor(method, p, hi, confidence).margin > margin) {
    lo = hi;
    hi *= 2;
    if (hi > maxPlannedN)
      throw new RangeError(`no sample size up to ${maxPlannedN} reaches margin ${margin}`);
  }
  // invariant: margin(lo) > target ≥ margin(hi)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (marginFor(method, p, mid, confidence).margin > margin) lo = mid;
    else hi = mid;
  }
  return marginFor(method, p, hi, confidence);
}

function checkRate(name: string, x: number, open: boolean): void {
  const ok = Number.isFinite(x) && (open ? x > 0 && x < 1 : x >= 0 && x <= 1);
  if (!ok) throw new RangeError(`${name} must be a number in ${open ? '(0, 1)' : '[0, 1]'}, got ${x}`);
}

/** How many samples to estimate a rate near `p` to ± `margin`. */
export function planSampleSize(p: number, margin: number, confidence = 0.95): PlanResult {
  checkRate('p', p, false);
  checkRate('margin', margin, true);
  checkRate('confidence', confidence, true);
  return {
    confidence,
    p,
    target_margin: margin,
    methods: planMethods.map((m) => sampleSizeFor(m, p, margin, confidence)),
  };
}

/** The margin that n samples give for a rate near `p`. */
export function planMargin(n: number, p: number, confidence = 0.95): PlanResult {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  checkRate('p', p, false);
  checkRate('confidence', confidence, true);
  return { confidence, p, given_n: n, methods: planMethods.map((m) => marginFor(m, p, n, confidence)) };
}
