// The JSON of verdicts, as `classify --json` writes them (design.md): label maps become JSON
// objects through Object.fromEntries, which defines own properties, so a label such as
// `__proto__` is written like any other.
import type { Classification, Explanation } from '../learn/model-api.js';

export interface ResultJson {
  id: string;
  predicted: string | null;
  scores: Record<string, number>;
  /** Present (true) when the trace produced no features: the verdict is not meaningful. */
  empty?: true;
}

export function resultJson(id: string, c: Classification): ResultJson {
  const out: ResultJson = { id, predicted: c.predicted, scores: Object.fromEntries(c.scores) };
  if (c.empty) out.empty = true;
  return out;
}

export function explanationJson(id: string, e: Explanation) {
  return {
    ...resultJson(id, e),
    runner_up: e.runnerUp,
    contributions: e.contributions.map((c) => ({
      feature: c.feature,
      value: c.value,
      contribution: c.contribution,
      weights: Object.fromEntries(c.weights),
    })),
  };
}
