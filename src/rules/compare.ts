// Model alone, rules alone and the hybrid policy side by side on the same labelled samples (for
// `eval --rules`): TPR, FPR and precision of the "malicious" verdict, each with its 95% Wilson
// interval and counts. "Rules alone" is the policy with no model verdict; a `suspicious`
// verdict is not counted as a detection unless the policy makes suspicious rules decide.
import { type Proportion, proportion } from '../evaluate/intervals.js';
import { combineVerdict, type HybridPolicy } from './hybrid.js';

export interface ScoredOutcome {
  label: string;
  /** Whether the model (at its threshold) calls the sample malicious; null when it produced no features. */
  modelMalicious: boolean | null;
  /** Verdicts of the rules that hit the sample. */
  ruleVerdicts: readonly string[];
}

export interface DetectorRates {
  tpr: Proportion;
  fpr: Proportion;
  precision: Proportion;
}

export interface Comparison {
  positive: string;
  model: DetectorRates;
  rules: DetectorRates;
  combined: DetectorRates;
}

function rates(
  outcomes: readonly ScoredOutcome[],
  positive: string,
  detects: (o: ScoredOutcome) => boolean,
): DetectorRates {
  let tp = 0;
  let fp = 0;
  let pos = 0;
  let neg = 0;
  for (const o of outcomes) {
    const hit = detects(o);
    if (o.label === positive) {
      pos++;
      if (hit) tp++;
    } else {
      neg++;
      if (hit) fp++;
    }
  }
  return { tpr: proportion(tp, pos), fpr: proportion(fp, neg), precision: proportion(tp, tp + fp) };
}

export function compareWithRules(
  outcomes: readonly ScoredOutcome[],
  positive: string,
  policy: HybridPolicy = {},
): Comparison {
  const asHits = (o: ScoredOutcome) => o.ruleVerdicts.map((verdict) => ({ verdict }));
  return {
    positive,
    model: rates(outcomes, positive, (o) => o.modelMalicious === true),
    rules: rates(outcomes, positive, (o) => combineVerdict(null, asHits(o), policy).verdict === 'malicious'),
    combined: rates(
      outcomes,
      positive,
      (o) => combineVerdict(o.modelMalicious, asHits(o), policy).verdict === 'malicious',
    ),
  };
}
