// Shapes of the server's JSON answers that the UI reads (see the OpenAPI document at /openapi.json).

export interface ModelInfo {
  method: string;
  config: unknown;
  labels: string[];
  label_counts: Record<string, number>;
  samples: number;
  features: number;
}

export interface DumpEntry {
  feature: string;
  weight: number;
}

export interface StoreStats {
  samples: number;
  files: number;
  labels: Record<string, number>;
  sources?: Record<string, number>;
  months?: Record<string, number>;
}

export interface SampleRef {
  id: string;
  origin: string;
  label?: string;
}

export interface NgramSamples {
  ngram: string;
  per_label: Record<string, number>;
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

export interface Trace {
  id: string;
  label?: string;
  processes: TraceProcess[];
}

export interface RuleHit {
  rule: string;
  title?: string;
  verdict: string;
  severity?: string | number;
  pid?: number;
  calls?: number[];
}

export interface Contribution {
  feature: string;
  value: number;
  contribution: number;
}

export interface Explanation {
  id?: string;
  predicted: string | null;
  verdict?: string;
  scores: Record<string, number>;
  contributions: Contribution[];
  rule_hits?: RuleHit[];
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
  k: number;
  n: number;
}

export interface EvalRun {
  method: string;
  ngram: number | string;
  n_train: number;
  n_test: number;
  accuracy: number;
  macro_f1: number;
  auc?: number;
  tpr?: Interval;
  fpr?: Interval;
  roc?: Array<{ fpr: number; tpr: number; threshold?: number }>;
  early?: Array<{ calls: number; tpr: Interval }>;
}

export interface RuleInfo {
  id: string;
  title?: string;
  verdict: string;
  severity?: string | number;
  file?: string;
  yaml: string;
}

export interface Alert {
  host: string;
  pid: number;
  process?: string;
  verdict: string;
  score?: number;
  rule_hits?: RuleHit[];
  top_ngrams?: Array<{ feature: string; contribution: number }>;
  calls_seen?: number;
  seconds_since_start?: number;
}
