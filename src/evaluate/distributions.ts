// The normal and beta distributions the intervals and the sample-size planner need, from jStat
// (https://jstat.github.io/distributions.html). jStat ships no types; the few functions used here
// are typed locally, which keeps the declaration out of the global namespace.
import { createRequire } from 'node:module';

interface JStat {
  normal: {
    inv(p: number, mean: number, sd: number): number;
    cdf(x: number, mean: number, sd: number): number;
  };
  beta: { inv(p: number, a: number, b: number): number; cdf(x: number, a: number, b: number): number };
}

const jStat = createRequire(import.meta.url)('jstat') as JStat;

/** Two-sided critical value z with P(|Z| ≤ z) = confidence (1.959964 at 0.95). */
export function zForConfidence(confidence: number): number {
  return jStat.normal.inv(1 - (1 - confidence) / 2, 0, 1);
}

/** Standard normal cumulative distribution function. */
export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1);
}

/** The p-quantile of Beta(a, b). */
export function betaQuantile(p: number, a: number, b: number): number {
  return jStat.beta.inv(p, a, b);
}
