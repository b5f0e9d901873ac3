// Shapes of the server's JSON answers that the UI reads (the OpenAPI document at /openapi.json
// has the full schemas). Labels, API names and ids come from malware: the UI only ever reads them
// as values (Object.entries), never as code or markup.

/** GET /v1/model */
export interface ModelInfo {
  method: string;
  config: unknown;
  /** Training examples per label. */
  labels: Record<string, number>;
  /** Labels in registration order. */
  label_order: string[];
  samples: number;
  features: number;
  version: number;
}

export interface DumpEntry {
  feature: string;
  weight: number;
  covariance?: number;
}

/** GET /v1/model/dump */
export interface ModelDump {
  dumps: Array<{ label: string; features: DumpEntry[] }>;
}

/** GET /v1/stats (as `malgram stats --json`) */
export interface StoreStats {
  samples: number;
  files: number;
  labels: Record<string, number>;
  unlabelled: number;
  calls: { total: number; min: number | null; median: number | null; max: number | null };
  sources?: Record<string, number>;
  months?: Record<string, number>;
  formats?: Record<string, number>;
}

export interface SampleRef {
  id: string;
  origin: string;
  label: string | null;
}

/** GET /v1/samples?feature= */
export interface FeatureSamples {
  feature: string;
  scanned: number;
  truncated: boolean;
  per_label: Record<string, number>;
  scanned_per_label: Record<string, number>;
  samples: SampleRef[];
}

export interface TraceCall {
  api: string;
  args?: Record<string, unknown>;
  ts?: number;
}

export interface TraceProcess {
  pid: number;
  ppid?: number;
  name?: string;
  calls: TraceCall[];
}

/** A canonical trace (the jsonl format). */
export interface Trace {
  id: string;
  label?: string;
  processes: TraceProcess[];
}

export interface SampleRuleHit {
  rule: string;
  title: string;
  verdict: string;
  severity: string;
  pid: number;
  calls: Array<{ pid: number; index: number; api: string }>;
}

/** GET /v1/samples/:origin */
export interface StoredSample {
  origin: string;
  trace: Trace;
  rule_hits: SampleRuleHit[];
}

export interface Contribution {
  feature: string;
  value: number;
  contribution: number;
  weights: Record<string, number>;
}

/** POST /v1/explain */
export interface Explanation {
  id: string;
  predicted: string | null;
  scores: Record<string, number>;
  runner_up: string | null;
  contributions: Contribution[];
  empty?: boolean;
}

/** A proportion with its counts and 95% interval. */
export interface Interval {
  value: number;
  lo: number;
  hi: number;
  k: number;
  n: number;
}

/** One setting of POST /v1/eval (as `malgram eval --json`). */
export interface EvalRun {
  method: string;
  ngram: number;
  n_train: number;
  n_test: number;
  positive: string;
  accuracy: number;
  accuracy_interval: Interval;
  macro_f1: number;
  auc: number;
  auc_interval: { lo: number; hi: number };
  tpr: Interval;
  fpr: Interval;
  split: string;
  roc: Array<{ fpr: number; tpr: number; threshold: number | null }>;
  /** With several training orders (as `eval --orders`). */
  orders?: OrderSpread;
}

export interface RateSpread {
  min: number;
  mean: number;
  max: number;
  values: Interval[];
}

export interface OrderSpread {
  orders: number;
  order_seeds: number[];
  accuracy: RateSpread;
  tpr: RateSpread;
  fpr: RateSpread;
}

export interface EarlyReport {
  positive: string;
  target_fpr: number;
  threshold: number;
  prefixes: Array<{ calls: number; tpr: Interval; fpr: Interval }>;
  full: { tpr: Interval; fpr: Interval };
}

/** POST /v1/eval */
export interface EvalResult {
  dataset: string;
  data: { samples: number; labels: Array<{ label: string; count: number }>; duplicates_grouped: number };
  runs: EvalRun[];
  early?: EarlyReport;
}

/** GET /v1/rules */
export interface RuleList {
  folder: string;
  rules: Array<{ id: string; title: string; severity: string; verdict: string; file: string; line: number }>;
  problems: string[];
}

/** POST /v1/rules/test (as `malgram rules test --json`) */
export interface Backtest {
  positive: string;
  samples: number;
  labels: Record<string, number>;
  rules: Array<{
    id: string;
    verdict: string;
    hits: Record<string, number>;
    precision: Interval;
    tpr: Interval;
    fpr: Interval;
    status: 'ok' | 'noisy' | 'unusable';
    reason?: string;
  }>;
}

/** POST /v1/rules/suggest */
export interface Suggestion {
  id: string;
  title: string;
  support: number;
  precision: Interval;
  tpr: Interval;
  fpr: Interval;
  yaml: string;
}

/** An alert of live detection (GET /v1/alerts, /v1/alerts/recent). */
export interface Alert {
  type: 'alert';
  host: string;
  pid: number;
  ppid?: number;
  process?: string;
  verdict: string;
  reason: string;
  score: number | null;
  threshold: number;
  positive: string;
  scores: Record<string, number>;
  rule_hits: Array<{ rule: string; title?: string; verdict: string; severity?: string; calls: number[] }>;
  top_ngrams: Array<{ ngram: string[]; feature: string; count: number; contribution: number }>;
  calls: number;
  seconds: number;
  ts?: number;
  high_risk_calls: number;
}
