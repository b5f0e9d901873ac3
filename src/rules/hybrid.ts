// The hybrid verdict: rule hits and the model's score combined by a documented, configurable policy.
//
// Default policy, in order (the first that applies decides):
//   1. a `malicious` rule hit        -> malicious        (decided_by: malicious-rule)
//      A rule is precise logic a person wrote and backtested: it decides on its own.
//   2. an allow (`benign`) rule hit  -> benign           (decided_by: allow-rule)
//      An allow rule overrides the model (known-good behaviour the model keeps flagging). With
//      `allowOverridesMaliciousRules` it is checked before step 1.
//   3. the model says malicious      -> malicious        (decided_by: model)
//      Without `threshold`: its predicted label is the positive one (its own argmax). With one:
//      margin = score(positive) - best score of the other labels >= threshold.
//   4. a `suspicious` rule hit       -> suspicious       (decided_by: suspicious-rule)
//      (with `suspiciousDecides` a suspicious hit gives malicious instead)
//   5. no features at all            -> no behaviour     (decided_by: no-behaviour)
//   6. otherwise                     -> benign           (decided_by: model)
// Pass the margin threshold chosen on a calibration set (e.g. the margin at the wanted FPR from
// `eval`) to use a calibrated decision instead of the argmax.
import type { Trace } from '../core/trace.js';
import type { Contribution, Model } from '../learn/model-api.js';
import type { TraceRuleHit } from './matcher.js';

export interface HybridPolicy {
  /** The malicious label of the model; default `malware` if the model knows it, else `1`. */
  positive?: string;
  /** Margin threshold for the model's malicious verdict (default: none, the model's argmax decides). */
  threshold?: number;
  /** A suspicious rule hit alone makes the verdict malicious (default false: it only escalates benign to suspicious). */
  suspiciousDecides?: boolean;
  /** An allow rule also overrides malicious rules (default false: malicious rules win). */
  allowOverridesMaliciousRules?: boolean;
  /** Top contributing features to report (default 10). */
  top?: number;
}

export type HybridVerdictWord = 'malicious' | 'suspicious' | 'benign' | 'no behaviour';
export type DecidedBy = 'malicious-rule' | 'allow-rule' | 'suspicious-rule' | 'model' | 'no-behaviour';

export interface HybridVerdict {
  verdict: HybridVerdictWord;
  decidedBy: DecidedBy;
  /** The model's label and scores (null predicted when the trace produced no features). */
  predicted: string | null;
  scores: Map<string, number>;
  /** score(positive) - best other score; null without features or with fewer than two labels. */
  margin: number | null;
  ruleHits: TraceRuleHit[];
  /** The model's top contributing features (n-grams) with their weights. */
  contributions: Contribution[];
}

export function positiveLabel(model: Model, policy: HybridPolicy): string {
  return policy.positive ?? (model.labels().includes('malware') ? 'malware' : '1');
}

/** Combines a model and the rule hits of one trace (from CompiledRules.matchTrace) into a verdict. */
export function decide(
  model: Model,
  trace: Trace,
  ruleHits: TraceRuleHit[],
  policy: HybridPolicy = {},
): HybridVerdict {
  const explanation = model.explain(trace, policy.top ?? 10);
  const positive = positiveLabel(model, policy);
  let margin: number | null = null;
  const own = explanation.scores.get(positive);
  if (!explanation.empty && own !== undefined && explanation.scores.size > 1) {
    let best = Number.NEGATIVE_INFINITY;
    for (const [label, score] of explanation.scores) if (label !== positive && score > best) best = score;
    margin = own - best;
  }
  const modelMalicious = explanation.empty
    ? null
    : policy.threshold === undefined
      ? explanation.predicted === positive
      : margin !== null && margin >= policy.threshold;
  const { verdict, decidedBy } = combineVerdict(modelMalicious, ruleHits, policy);
  return {
    verdict,
    decidedBy,
    predicted: explanation.empty ? null : explanation.predicted,
    scores: explanation.scores,
    margin,
    ruleHits,
    contributions: explanation.contributions,
  };
}

/**
 * The policy itself, on the model's decision (null: no features, no verdict from the model) and the
 * verdicts of the rules that hit. Also usable for "rules alone" (null) in evaluations.
 */
export function combineVerdict(
  modelMalicious: boolean | null,
  hits: readonly { verdict: string }[],
  policy: HybridPolicy = {},
): { verdict: HybridVerdictWord; decidedBy: DecidedBy } {
  const has = (v: string) => hits.some((h) => h.verdict === v);
  if (policy.allowOverridesMaliciousRules && has('benign'))
    return { verdict: 'benign', decidedBy: 'allow-rule' };
  if (has('malicious')) return { verdict: 'malicious', decidedBy: 'malicious-rule' };
  if (has('benign')) return { verdict: 'benign', decidedBy: 'allow-rule' };
  if (modelMalicious) return { verdict: 'malicious', decidedBy: 'model' };
  if (has('suspicious'))
    return { verdict: policy.suspiciousDecides ? 'malicious' : 'suspicious', decidedBy: 'suspicious-rule' };
  if (modelMalicious === null) return { verdict: 'no behaviour', decidedBy: 'no-behaviour' };
  return { verdict: 'benign', decidedBy: 'model' };
}

/**
 * The JSON form (for `classify --json` / `explain --json`): rule hits list the calls that matched with
 * their arguments; contributions list feature, value, weights and contribution.
 */
export function hybridJson(v: HybridVerdict, trace: Trace): Record<string, unknown> {
  const byPid = new Map(trace.processes.map((p) => [p.pid, p]));
  return {
    verdict: v.verdict,
    decided_by: v.decidedBy,
    margin: v.margin,
    rule_hits: v.ruleHits.map((h) => ({
      rule: h.rule,
      title: h.title,
      verdict: h.verdict,
      severity: h.severity,
      tags: h.tags,
      pid: h.pid,
      calls: h.evidence.map((e) => {
        const pid = e.pid ?? h.pid;
        const call = byPid.get(pid)?.calls[e.index];
        return { pid, index: e.index, api: e.api, args: call?.args ? Object.fromEntries(call.args) : {} };
      }),
    })),
    contributions: v.contributions.map((c) => ({
      feature: c.feature,
      value: c.value,
      contribution: c.contribution,
      weights: Object.fromEntries(c.weights),
    })),
  };
}
