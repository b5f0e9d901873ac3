// The alert record: one JSON line per alert (stdout, `--alerts FILE`, webhooks, response hooks).
//
//   {"type": "alert", "host": "h1", "pid": 4242, "ppid": 1, "process": "a.exe", "verdict": "malicious",
//    "reason": "model" | "rule" | "model+rule", "score": 1.73, "threshold": 0, "positive": "1",
//    "scores": {"0": -0.8, "1": 0.93}, "rule_hits": [{"rule": "...", "verdict": "...", "severity": "...",
//    "calls": [3, 9]}], "top_ngrams": [{"ngram": ["A","B","C"], "feature": "...", "count": 2,
//    "contribution": 0.41}], "calls": 57, "seconds": 0.84, "ts": 1732600000.9, "tree": {"host": "h1",
//    "pid": 4000}, "truncated": false, "high_risk_calls": 2}
//
// `calls` = calls of the unit seen so far (the process, or its tree with --tree); `seconds` = time
// since its first call (by event timestamps; 0 without them); `tree` names the root process when
// the alert is for a process tree; `truncated` = the n-gram cap was hit (score approximate).
import type { NgramContribution } from './scorer.js';

export interface RuleHitInfo {
  rule: string;
  title?: string;
  verdict: 'malicious' | 'suspicious' | 'benign';
  severity?: string;
  /** Indexes (within the process) of the calls that matched. */
  calls: number[];
}

export interface Alert {
  type: 'alert';
  host: string;
  pid: number;
  ppid?: number;
  process?: string;
  verdict: 'suspicious' | 'malicious';
  reason: 'model' | 'rule' | 'model+rule';
  /** The model margin (null without a model). */
  score: number | null;
  threshold: number;
  positive: string;
  scores: Record<string, number>;
  rule_hits: RuleHitInfo[];
  top_ngrams: NgramContribution[];
  calls: number;
  seconds: number;
  ts?: number;
  tree?: { host: string; pid: number };
  truncated: boolean;
  high_risk_calls: number;
}

/** label → score as a JSON object; labels are data, so keys are defined, never assigned. */
export function scoresObject(labels: string[], score: (i: number) => number): Record<string, number> {
  return Object.fromEntries(labels.map((l, i) => [l, score(i)]));
}
