// Confidence intervals for a binomial proportion k/n. Formulas from Brown, Cai & DasGupta,
// "Interval Estimation for a Binomial Proportion", Statistical Science 16(2), 2001:
//   Wald            p̂ ± z·√(p̂(1−p̂)/n)                             (poor near 0 and 1; for `plan`)
//   Wilson          (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)  (the default)
//   Agresti-Coull   ñ = n + z², p̃ = (k + z²/2)/ñ, p̃ ± z·√(p̃(1−p̃)/ñ)
//   Jeffreys        Beta(k+½, n−k+½) quantiles α/2, 1−α/2 (lo = 0 at k = 0, hi = 1 at k = n)
//   Clopper-Pearson exact: Beta(k, n−k+1) at α/2 and Beta(k+1, n−k) at 1−α/2 (0 / 1 at the ends)
// All bounds are clipped to [0, 1].
import { betaQuantile, zForConfidence } from './distributions.js';

export const intervalMethods = ['wilson', 'clopper-pearson', 'agresti-coull', 'jeffreys', 'wald'] as const;
export type IntervalMethod = (typeof intervalMethods)[number];

/** A proportion with its counts and confidence interval (the `tpr`/`fpr` shape of `eval --json`). */
export interface Proportion {
  value: number;
  lo: number;
  hi: number;
  k: number;
  n: number;
}

export function isIntervalMethod(name: string): name is IntervalMethod {
  return (intervalMethods as readonly string[]).includes(name);
}

const clip = (x: number): number => Math.min(1, Math.max(0, x));

/** Interval bounds for k successes out of n (n > 0); `k` may be fractional for planning. */
export function interval(k: number, n: number, method: IntervalMethod, confidence = 0.95): [number, number] {
  const alpha = 1 - confidence;
  const p = k / n;
  switch (method) {
    case 'wald': {
      const z = zForConfidence(confidence);
      const half = z * Math.sqrt((p * (1 - p)) / n);
      return [clip(p - half), clip(p + half)];
    }
    case 'wilson': {
      const z = zForConfidence(confidence);
      const z2 = z * z;
      const denom = 1 + z2 / n;
      const center = (p + z2 / (2 * n)) / denom;
      const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
      return [clip(center - half), clip(center + half)];
    }
    case 'agresti-coull': {
      const z = zForConfidence(confidence);
      const nTilde = n + z * z;
      const pTilde = (k + (z * z) / 2) / nTilde;
      const half = z * Math.sqrt((pTilde * (1 - pTilde)) / nTilde);
      return [clip(pTilde - half), clip(pTilde + half)];
    }
    case 'jeffreys': {
      const lo = k <= 0 ? 0 : betaQuantile(alpha / 2, k + 0.5, n - k + 0.5);
      const hi = k >= n ? 1 : betaQuantile(1 - alpha / 2, k + 0.5, n - k + 0.5);
      return [clip(lo), clip(hi)];
    }
    case 'clopper-pearson': {
      const lo = k <= 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
      const hi = k >= n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
      return [clip(lo), clip(hi)];
    }
  }
}

/**
 * k out of n as a Proportion. With n = 0 nothing is known: value is NaN (null in JSON) and the
 * interval is [0, 1].
 */
export function proportion(
  k: number,
  n: number,
  method: IntervalMethod = 'wilson',
  confidence = 0.95,
): Proportion {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`proportion: need integers 0 ≤ k ≤ n, got k=${k} n=${n}`);
  }
  if (n === 0) return { value: Number.NaN, lo: 0, hi: 1, k, n };
  const [lo, hi] = interval(k, n, method, confidence);
  return { value: k / n, lo, hi, k, n };
}

/** "72.33% [71.45–73.21] (7233/10000)" */
export function formatProportion(p: Proportion, digits = 2): string {
  if (p.n === 0) return 'n/a (0/0)';
  const pct = (x: number): string => (100 * x).toFixed(digits);
  return `${pct(p.value)}% [${pct(p.lo)}–${pct(p.hi)}] (${p.k}/${p.n})`;
}
