// Early-detection evaluation: how early would `watch` have alerted?
//
// Each trace is replayed call by call in replay order (src/detect/replay.ts: calls of all its
// processes merged by time) through the same incremental scorer as `watch`, the trace scored as
// one sample (n-grams per process, tf summed over the trace's processes, as `classify` does), so
// margin_k = score(positive) − max score(other) of `classify` on the trace's first k calls.
// Rules (optional) run per process; a malicious/suspicious rule hit alerts at its call, an allow
// (benign) rule hit before the alert suppresses the trace's alert, as in policy.ts.
//
// - Alert index of a trace at threshold t: the first k with margin_k > t or a rule hit (1-based).
// - Threshold: chosen on the TRAINING traces of the negative labels so that at most `targetFpr` of
//   them would alert within the horizon (the largest prefix length): the ⌊targetFpr·n⌋-th largest
//   running-maximum margin. (The model has seen those traces, so their margins are optimistic and
//   the held-out FPR is usually higher: that is why the test FPR is reported beside the TPR.)
// - For each prefix length L: TPR = malware traces alerted within their first L calls / malware
//   traces, FPR the same over the other labels, each with counts and a 95% Wilson interval. A
//   trace shorter than L counts with all its calls.
// - For detected malware: calls until the alert (percentiles) and high-risk calls
//   (src/detect/high-risk.ts) executed up to and including the alerting call.
import type { Trace } from '../core/trace.js';
import type { Distribution, EarlyReport } from '../evaluate/early-report.js';
import { interval, type Proportion } from '../evaluate/intervals.js';
import type { AlertThreshold, Model } from '../learn/model-api.js';
import type { StreamingRules } from './detector.js';
import { featureSpecOf } from './feature-spec.js';
import { isHighRisk } from './high-risk.js';
import { replayOrder } from './replay.js';
import { IncrementalScorer } from './scorer.js';
import { ApiInterner, ProcessState, ScoreUnit } from './state.js';

export const DEFAULT_PREFIXES = [10, 25, 50, 100, 200, 500, 1000];

export interface EarlyOptions {
  model: Model;
  /** Traces the model was trained on (the threshold is chosen on their negatives). */
  train: Trace[];
  /** Held-out labelled traces. */
  test: Trace[];
  positive: string;
  prefixes?: number[];
  /** Target false-positive rate for the threshold (default 0.01). */
  targetFpr?: number;
  rules?: StreamingRules;
  /** Interval confidence (default 0.95). */
  confidence?: number;
}

/** Per trace: margin after each call, the first rule alert / allow (1-based, 0 = none), high-risk call positions. */
export interface TraceTimeline {
  label: string | undefined;
  margins: Float64Array;
  ruleAlertAt: number;
  allowAt: number;
  highRisk: Uint8Array;
}

/** Replays one trace through a fresh incremental scorer state (and the rules). */
export function traceTimeline(
  trace: Trace,
  scorer: IncrementalScorer,
  positive: number,
  rules?: StreamingRules,
  collapseRepeats = false,
): TraceTimeline {
  // The replay order as indices: no event object per call (this runs over every benign training
  // trace in `train`, millions of calls).
  const order = replayOrder(trace, 0);
  let callCount = 0;
  for (let k = 0; k < order.call.length; k++) if (order.call[k] >= 0) callCount++;
  const margins = new Float64Array(callCount);
  const highRisk = new Uint8Array(callCount);
  const unit = new ScoreUnit('early', 0, scorer.labels.length);
  const states: Array<ProcessState | undefined> = [];
  const ruleStates = new Map<number, unknown>();
  let ruleAlertAt = 0;
  let allowAt = 0;
  let k = 0;
  for (let e = 0; e < order.call.length; e++) {
    const j = order.call[e];
    if (j < 0) continue;
    const p = order.process[e];
    const c = trace.processes[p].calls[j];
    let state = states[p];
    if (!state) {
      state = new ProcessState('early', p, unit, scorer.windowLength);
      states[p] = state;
    }
    const id = scorer.interner.id(c.api);
    if (!(collapseRepeats && id === state.lastId)) scorer.observe(state, id);
    state.lastId = id;
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < scorer.labels.length; i++)
      if (i !== positive && unit.score(i) > best) best = unit.score(i);
    margins[k] = unit.score(positive) - (best === Number.NEGATIVE_INFINITY ? 0 : best);
    highRisk[k] = isHighRisk(c.api) ? 1 : 0;
    k++;
    if (rules && ruleAlertAt === 0 && allowAt === 0) {
      if (!ruleStates.has(p)) ruleStates.set(p, rules.newProcessState());
      const index = state.calls++;
      for (const hit of rules.feed(
        ruleStates.get(p),
        { api: c.api, args: c.args, ts: order.ts[e], ret: c.ret, status: c.status },
        index,
      )) {
        if (hit.verdict === 'benign') allowAt = k;
        else if (ruleAlertAt === 0) ruleAlertAt = k;
      }
    }
  }
  return { label: trace.label, margins, ruleAlertAt, allowAt, highRisk };
}

/** 1-based index of the call that raises the alert at threshold t, 0 when none. */
export function alertIndex(t: TraceTimeline, threshold: number): number {
  let modelAt = 0;
  for (let k = 0; k < t.margins.length; k++) {
    if (t.margins[k] > threshold) {
      modelAt = k + 1;
      break;
    }
  }
  let at = modelAt;
  if (t.ruleAlertAt > 0 && (at === 0 || t.ruleAlertAt < at)) at = t.ruleAlertAt;
  if (t.allowAt > 0 && (at === 0 || t.allowAt <= at)) return 0;
  return at;
}

/** Threshold so that at most ⌊targetFpr·n⌋ negatives have a running-max margin above it within `horizon` calls. */
export function chooseThreshold(negatives: TraceTimeline[], targetFpr: number, horizon: number): number {
  if (negatives.length === 0) return 0;
  const maxima = negatives
    .map((t) => {
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < Math.min(horizon, t.margins.length); k++) if (t.margins[k] > m) m = t.margins[k];
      return m;
    })
    .sort((a, b) => b - a);
  const allowed = Math.floor(targetFpr * maxima.length);
  const t = maxima[Math.min(allowed, maxima.length - 1)];
  return Number.isFinite(t) ? t : 0;
}

/**
 * The threshold `train` stores for `watch`: every negative training trace replayed through the
 * incremental scorer, at most `targetFpr` of them alerting at any point of their life (no horizon).
 * Undefined when there are no negative traces.
 */
export function trainingAlertThreshold(
  model: Model,
  train: readonly Trace[],
  positive: string,
  targetFpr: number,
): AlertThreshold | undefined {
  const { spec, collapseRepeats } = featureSpecOf(model);
  const scorer = new IncrementalScorer(model, spec, new ApiInterner());
  const pos = scorer.labels.indexOf(positive);
  if (pos < 0) return undefined;
  const negatives = train
    .filter((t) => t.label !== undefined && t.label !== '' && t.label !== positive)
    .map((t) => traceTimeline(t, scorer, pos, undefined, collapseRepeats));
  if (negatives.length === 0) return undefined;
  const margin = chooseThreshold(negatives, targetFpr, Number.POSITIVE_INFINITY);
  return { positive, margin, target_fpr: targetFpr, negatives: negatives.length };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p10: quantile(s, 0.1),
    p25: quantile(s, 0.25),
    p50: quantile(s, 0.5),
    p75: quantile(s, 0.75),
    p90: quantile(s, 0.9),
    max: s[s.length - 1],
  };
}

function proportion(k: number, n: number, confidence: number): Proportion {
  if (n === 0) return { value: Number.NaN, lo: 0, hi: 1, k, n };
  const [lo, hi] = interval(k, n, 'wilson', confidence);
  return { value: k / n, lo, hi, k, n };
}

/** The early-detection evaluation (see the header). */
export function earlyDetection(opts: EarlyOptions): EarlyReport {
  const prefixes = [...new Set(opts.prefixes ?? DEFAULT_PREFIXES)].sort((a, b) => a - b);
  const targetFpr = opts.targetFpr ?? 0.01;
  const confidence = opts.confidence ?? 0.95;
  const { spec, collapseRepeats } = featureSpecOf(opts.model);
  const scorer = new IncrementalScorer(opts.model, spec, new ApiInterner());
  const pos = scorer.labels.indexOf(opts.positive);
  const isPositive = (t: TraceTimeline) => t.label === opts.positive;
  const horizon = prefixes[prefixes.length - 1];

  const trainNegatives = opts.train
    .filter((t) => t.label !== undefined && t.label !== opts.positive)
    .map((t) => traceTimeline(t, scorer, pos, opts.rules, collapseRepeats));
  const threshold = chooseThreshold(trainNegatives, targetFpr, horizon);

  const test = opts.test
    .filter((t) => t.label !== undefined)
    .map((t) => traceTimeline(t, scorer, pos, opts.rules, collapseRepeats));
  const alerts = test.map((t) => alertIndex(t, threshold));
  const positives = test.filter(isPositive).length;
  const negatives = test.length - positives;
  const within = (limit: number, positive: boolean) =>
    test.filter((t, i) => isPositive(t) === positive && alerts[i] > 0 && alerts[i] <= limit).length;

  const detected = test.map((t, i) => ({ t, at: alerts[i] })).filter(({ t, at }) => isPositive(t) && at > 0);
  const riskBefore = detected.map(({ t, at }) => {
    let n = 0;
    for (let k = 0; k < at; k++) n += t.highRisk[k];
    return n;
  });
  return {
    positive: opts.positive,
    target_fpr: targetFpr,
    threshold,
    threshold_basis: { n: trainNegatives.length, horizon },
    n_positive: positives,
    n_negative: negatives,
    prefixes: prefixes.map((calls) => ({
      calls,
      tpr: proportion(within(calls, true), positives, confidence),
      fpr: proportion(within(calls, false), negatives, confidence),
    })),
    full: {
      tpr: proportion(within(Number.POSITIVE_INFINITY, true), positives, confidence),
      fpr: proportion(within(Number.POSITIVE_INFINITY, false), negatives, confidence),
    },
    calls_until_alert: distribution(detected.map((d) => d.at)),
    high_risk_before_alert: distribution(riskBefore),
    high_risk_any_before_alert:
      detected.length > 0
        ? proportion(riskBefore.filter((n) => n > 0).length, detected.length, confidence)
        : null,
    rule_first: detected.filter(({ t, at }) => t.ruleAlertAt === at && !(t.margins[at - 1] > threshold))
      .length,
  };
}

const pct = (p: Proportion) =>
  Number.isNaN(p.value)
    ? '   n/a'
    : `${(100 * p.value).toFixed(2)}% [${(100 * p.lo).toFixed(2)}–${(100 * p.hi).toFixed(2)}] (${p.k}/${p.n})`;

/** A readable table of the report (for `eval --early` without --json). */
export function formatEarlyTable(r: EarlyReport): string {
  const lines = [
    `early detection: positive label ${r.positive}, threshold ${r.threshold.toPrecision(6)} (≤ ${(100 * r.target_fpr).toFixed(2)}% of ${r.threshold_basis.n} training negatives alert within ${r.threshold_basis.horizon} calls)`,
    'calls  TPR [95% CI] (k/n)                     FPR [95% CI] (k/n)',
  ];
  for (const p of r.prefixes)
    lines.push(`${String(p.calls).padStart(5)}  ${pct(p.tpr).padEnd(38)} ${pct(p.fpr)}`);
  lines.push(`  all  ${pct(r.full.tpr).padEnd(38)} ${pct(r.full.fpr)}`);
  const d = r.calls_until_alert;
  if (d) {
    lines.push(
      `calls until alert (detected malware, n=${d.n}): p10 ${num(d.p10)} p25 ${num(d.p25)} median ${num(d.p50)} p75 ${num(d.p75)} p90 ${num(d.p90)} max ${d.max} mean ${d.mean.toFixed(1)}`,
    );
  }
  const h = r.high_risk_before_alert;
  if (h && r.high_risk_any_before_alert) {
    lines.push(
      `high-risk calls before the alert: mean ${h.mean.toFixed(2)}, median ${num(h.p50)}, p90 ${num(h.p90)}, max ${h.max}; ` +
        `traces with any: ${pct(r.high_risk_any_before_alert)}`,
    );
  }
  if (r.rule_first > 0) lines.push(`alerts raised by a rule before the model: ${r.rule_first}`);
  return lines.join('\n');
}

/** An interpolated percentile for a table: at most one decimal (25.19999999999999 → 25.2). */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}
