// Backtesting: every rule run over a labelled corpus, with how often it fires per label and what
// that means as detection rates (95% Wilson intervals with their counts).
//
// For a `malicious` / `suspicious` rule, hits on the positive label are true positives:
//   precision = TP / (TP + FP), TPR = TP / positives, FPR = FP / negatives.
// For an allow (`benign`) rule the roles swap: it is meant to hit negatives, and a hit on a positive
// sample is the costly error (it would let malware through).
//
// Unusable: in the hybrid policy a rule decides on its own, so its errors are not filtered by
// anything. A rule is flagged unusable when the lower 95% bound of its error rate (FPR for
// malicious/suspicious rules, the share of positives it hits for allow rules) is above the
// error budget (`maxErrorRate`, default 1%): the corpus shows with confidence that it errs too often.
// A rule whose point estimate is above the budget but whose interval still reaches below it is only
// marked `noisy` (more data needed to tell).
import type { Trace } from '../core/trace.js';
import { countCalls } from '../core/trace.js';
import { type Proportion, proportion } from '../evaluate/intervals.js';
import type { CompiledRules } from './matcher.js';
import type { RuleDef } from './schema.js';

export interface BacktestOptions {
  /** The label of malicious samples; default `malware` if present, else `1`. */
  positive?: string;
  /** Error budget for the unusable flag (default 0.01). */
  maxErrorRate?: number;
  /** Sample ids kept per rule and label (default 100). */
  maxSamplesListed?: number;
  /** Called after each sample (progress). */
  onSample?: (trace: Trace) => void;
}

export interface RuleBacktest {
  id: string;
  title: string;
  verdict: RuleDef['verdict'];
  severity: RuleDef['severity'];
  file: string;
  line: number;
  /** Samples hit, per label (unlabelled samples under ``). */
  hits: Map<string, number>;
  precision: Proportion;
  tpr: Proportion;
  fpr: Proportion;
  /** `ok`, `noisy` or `unusable`, by the criterion above. */
  status: 'ok' | 'noisy' | 'unusable';
  reason?: string;
  /** Ids of the samples hit, per label, at most maxSamplesListed each. */
  samples: Map<string, string[]>;
  samplesTruncated: boolean;
}

export interface BacktestResult {
  positive: string;
  samples: number;
  labels: Map<string, number>;
  unlabelled: number;
  maxErrorRate: number;
  rules: RuleBacktest[];
  calls: number;
  seconds: number;
}

export const unusableCriterion =
  'unusable when the lower 95% Wilson bound of the rule error rate (FPR for malicious/suspicious rules; ' +
  'share of positive samples hit for benign allow rules) exceeds the error budget; noisy when only the point estimate does';

export async function backtest(
  traces: AsyncIterable<Trace> | Iterable<Trace>,
  compiled: CompiledRules,
  options: BacktestOptions = {},
): Promise<BacktestResult> {
  const maxListed = options.maxSamplesListed ?? 100;
  const budget = options.maxErrorRate ?? 0.01;
  const labels = new Map<string, number>();
  const hits = compiled.rules.map(() => new Map<string, number>());
  const samples = compiled.rules.map(() => new Map<string, string[]>());
  const truncated = compiled.rules.map(() => false);
  const index = new Map(compiled.rules.map((r, i) => [r.id, i]));
  let count = 0;
  let unlabelled = 0;
  let calls = 0;
  const started = process.hrtime.bigint();
  for await (const trace of traces) {
    count++;
    calls += countCalls(trace).records;
    const label = trace.label ?? '';
    if (trace.label === undefined) unlabelled++;
    else labels.set(label, (labels.get(label) ?? 0) + 1);
    const fired = new Set(compiled.matchTrace(trace).map((h) => index.get(h.rule) as number));
    for (const i of fired) {
      hits[i].set(label, (hits[i].get(label) ?? 0) + 1);
      const list = samples[i].get(label) ?? [];
      if (list.length < maxListed) list.push(trace.id);
      else truncated[i] = true;
      samples[i].set(label, list);
    }
    options.onSample?.(trace);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const positive = options.positive ?? (labels.has('malware') ? 'malware' : '1');
  const positives = labels.get(positive) ?? 0;
  let negatives = 0;
  for (const [l, n] of labels) if (l !== positive) negatives += n;

  const rules = compiled.rules.map((rule, i): RuleBacktest => {
    let tp = 0;
    let fp = 0;
    for (const [l, n] of hits[i]) {
      if (l === '') continue;
      if (l === positive) tp += n;
      else fp += n;
    }
    const tpr = proportion(tp, positives);
    const fpr = proportion(fp, negatives);
    const allow = rule.verdict === 'benign';
    const errors = allow ? tpr : fpr;
    const what = allow ? 'positive samples hit by an allow rule' : 'FPR';
    let status: RuleBacktest['status'] = 'ok';
    let reason: string | undefined;
    if (errors.n > 0 && errors.lo > budget) {
      status = 'unusable';
      reason = `${what} lower 95% bound ${(100 * errors.lo).toFixed(2)}% > budget ${(100 * budget).toFixed(2)}%`;
    } else if (errors.n > 0 && errors.value > budget) {
      status = 'noisy';
      reason = `${what} ${(100 * errors.value).toFixed(2)}% > budget ${(100 * budget).toFixed(2)}% (interval reaches below it)`;
    }
    return {
      id: rule.id,
      title: rule.title,
      verdict: rule.verdict,
      severity: rule.severity,
      file: rule.file,
      line: rule.line,
      hits: hits[i],
      precision: allow ? proportion(fp, tp + fp) : proportion(tp, tp + fp),
      tpr,
      fpr,
      status,
      reason,
      samples: samples[i],
      samplesTruncated: truncated[i],
    };
  });
  return { positive, samples: count, labels, unlabelled, maxErrorRate: budget, rules, calls, seconds };
}

/** The `rules test --json` document (maps become objects: labels are only ever values here, via Object.fromEntries). */
export function backtestJson(result: BacktestResult): unknown {
  return {
    positive: result.positive,
    samples: result.samples,
    labels: Object.fromEntries(result.labels),
    unlabelled: result.unlabelled,
    max_error_rate: result.maxErrorRate,
    criterion: unusableCriterion,
    rules: result.rules.map((r) => ({
      id: r.id,
      title: r.title,
      verdict: r.verdict,
      severity: r.severity,
      file: r.file,
      line: r.line,
      hits: Object.fromEntries(r.hits),
      precision: r.precision,
      tpr: r.tpr,
      fpr: r.fpr,
      status: r.status,
      ...(r.reason ? { reason: r.reason } : {}),
      samples_hit: Object.fromEntries(r.samples),
      samples_truncated: r.samplesTruncated,
    })),
    timing: {
      seconds: result.seconds,
      calls: result.calls,
      calls_per_s: result.seconds > 0 ? result.calls / result.seconds : null,
    },
  };
}
