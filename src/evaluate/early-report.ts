// The early-detection result of `eval --early` (computed by src/detect/early.ts, rendered by the
// report and the UI): per prefix length N, TPR/FPR of an alert within the first N calls at a
// threshold chosen on training data, and how long detected malware ran before its alert.
import type { Proportion } from './intervals.js';

/** Summary of a distribution of counts (calls, high-risk calls). */
export interface Distribution {
  n: number;
  mean: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  max: number;
}

export interface EarlyReport {
  positive: string;
  target_fpr: number;
  threshold: number;
  /** Negatives of the training data the threshold was chosen on, and the horizon in calls. */
  threshold_basis: { n: number; horizon: number };
  n_positive: number;
  n_negative: number;
  prefixes: Array<{ calls: number; tpr: Proportion; fpr: Proportion }>;
  /** Over whole traces (no prefix limit). */
  full: { tpr: Proportion; fpr: Proportion };
  calls_until_alert: Distribution | null;
  high_risk_before_alert: Distribution | null;
  /** Detected malware with at least one high-risk call before its alert. */
  high_risk_any_before_alert: Proportion | null;
  /** Alerts of detected malware raised by a rule before the model crossed the threshold. */
  rule_first: number;
}
