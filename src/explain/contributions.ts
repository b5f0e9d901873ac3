// Why a linear model gave its verdict: for every feature of the sample,
// contribution = x_f · (w[f][predicted] − w[f][runner-up]) (jubatus-reference.md §7). The sum of
// all contributions equals score(predicted) − score(runner-up), so the list explains the margin.
import type { Contribution, Scores } from '../learn/model-api.js';

export interface FeatureEvidence {
  feature: string;
  value: number;
  /** Weight per label; absent labels read as 0. */
  weights: Map<string, number>;
}

/** The best label and the second best (first maximum in order, strict >). */
export function rankTwo(scores: Scores): { predicted: string | null; runnerUp: string | null } {
  let predicted: string | null = null;
  let best = 0;
  for (const [label, s] of scores) {
    if (predicted === null || s > best) {
      predicted = label;
      best = s;
    }
  }
  let runnerUp: string | null = null;
  let second = 0;
  for (const [label, s] of scores) {
    if (label === predicted) continue;
    if (runnerUp === null || s > second) {
      runnerUp = label;
      second = s;
    }
  }
  return { predicted, runnerUp };
}

/** Contributions sorted by |contribution|, the largest first, at most `top`. */
export function contributions(
  evidence: FeatureEvidence[],
  predicted: string | null,
  runnerUp: string | null,
  top: number,
): Contribution[] {
  const out: Contribution[] = evidence.map((e) => {
    const wp = predicted === null ? 0 : (e.weights.get(predicted) ?? 0);
    const wr = runnerUp === null ? 0 : (e.weights.get(runnerUp) ?? 0);
    return { feature: e.feature, value: e.value, weights: e.weights, contribution: e.value * (wp - wr) };
  });
  out.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return out.slice(0, Math.max(0, top));
}
