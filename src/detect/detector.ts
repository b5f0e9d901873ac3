// The real-time detector: events in, alerts out. Ties the per-process state (state.ts), the
// incremental scorer (scorer.ts), the streaming rule matcher (optional) and the alert policy
// (policy.ts). Single-threaded and synchronous: `handle(event)` does all the work of one event.
import type { Call } from '../core/trace.js';
import type { Model } from '../learn/model-api.js';
import type { Alert, RuleHitInfo } from './alerts.js';
import { scoresObject } from './alerts.js';
import type { DetectEvent } from './events.js';
import { isHighRisk } from './high-risk.js';
import { Level, levelNames, modelLevel, type PolicyOptions, ruleLevel } from './policy.js';
import { IncrementalScorer, type NgramFeatureSpec } from './scorer.js';
import { ApiInterner, type ProcessState, ProcessTable, type ScoreUnit, type StateLimits } from './state.js';

/** What the detector needs from a streaming rule matcher (adapted from src/rules in rules-adapter.ts). */
export interface StreamingRules {
  newProcessState(): unknown;
  /** `fromPid`: the call is a descendant's, fed to an ancestor's state (tree-scoped rules). */
  feed(state: unknown, call: Call, index: number, fromPid?: number): RuleHitInfo[];
}

export interface DetectorOptions {
  limits: StateLimits;
  policy: PolicyOptions;
  /** Number of top contributing n-grams in an alert (default 5). */
  top?: number;
  rules?: StreamingRules;
  /** Consecutive identical APIs of a process count once in the n-grams (the model's `collapse` policy). */
  collapseRepeats?: boolean;
}

export interface DetectorStats {
  events: number;
  calls: number;
  exits: number;
  /** Exit events for processes not tracked (never seen, already evicted or exited). */
  unknownExits: number;
  alerts: number;
  outOfOrder: number;
}

export class Detector {
  readonly interner = new ApiInterner();
  /** Absent when watching with rules only (no model). */
  readonly scorer?: IncrementalScorer;
  readonly table: ProcessTable;
  readonly stats: DetectorStats = {
    events: 0,
    calls: 0,
    exits: 0,
    unknownExits: 0,
    alerts: 0,
    outOfOrder: 0,
  };
  readonly labels: string[];
  private readonly positive: number;
  private readonly labelCount: number;
  /** Per API id: 0 = not classified yet, 1 = ordinary, 2 = high risk. */
  private readonly risk = new Uint8Array(65536);

  constructor(
    model: { model: Model; spec: NgramFeatureSpec } | undefined,
    private readonly opts: DetectorOptions,
    private readonly onAlert: (alert: Alert) => void,
  ) {
    if (model) {
      this.scorer = new IncrementalScorer(model.model, model.spec, this.interner);
      this.scorer.maxNgrams = opts.limits.maxNgramsPerUnit;
    }
    this.labels = this.scorer?.labels ?? [];
    this.labelCount = this.labels.length;
    this.positive = this.labels.indexOf(opts.policy.positive);
    this.table = new ProcessTable(opts.limits, this.labelCount, this.scorer?.windowLength ?? 0);
  }

  handle(event: DetectEvent): void {
    this.stats.events++;
    if (event.kind === 'exit') {
      this.stats.exits++;
      if (!this.table.exit(event.host, event.pid)) this.stats.unknownExits++;
      return;
    }
    this.stats.calls++;
    const state = this.table.touch(event.host, event.pid, event.ppid);
    if (event.process !== undefined) state.process = event.process;
    const unit = state.unit;
    const id = this.interner.id(event.api);
    let risk = this.risk[id];
    if (risk === 0) risk = this.risk[id] = isHighRisk(event.api) ? 2 : 1;
    if (risk === 2) unit.highRiskCalls++;
    const outOfOrder = unit.outOfOrder;
    unit.noteTime(event.ts);
    if (unit.outOfOrder !== outOfOrder) this.stats.outOfOrder++;
    unit.calls++;
    const index = state.calls++;
    if (this.scorer && !(this.opts.collapseRepeats && id === state.lastId)) this.scorer.observe(state, id);
    state.lastId = id;

    let hits: RuleHitInfo[] | undefined;
    if (this.opts.rules) {
      state.ruleState ??= this.opts.rules.newProcessState();
      const call: Call = {
        api: event.api,
        args: event.args,
        ts: event.ts,
        ret: event.ret,
        status: event.status,
      };
      let found = this.opts.rules.feed(state.ruleState, call, index);
      // With --tree, the tree's root process also sees the call (for rules with `scope: tree`).
      const root = unit.rootPid !== state.pid ? this.table.get(unit.rootHost, unit.rootPid) : undefined;
      if (root && root.unit === unit) {
        root.ruleState ??= this.opts.rules.newProcessState();
        const rootHits = this.opts.rules.feed(root.ruleState, call, index, state.pid);
        if (rootHits.length > 0) found = [...found, ...rootHits];
      }
      if (found.length > 0) hits = found;
    }
    if (unit.allowed || (unit.alertLevel === Level.malicious && !hits)) return;
    this.decide(state, unit, hits, event.ts);
  }

  /** margin = score(positive) − max score(other labels). */
  margin(unit: ScoreUnit): number {
    const p = this.positive;
    if (p < 0) return Number.NEGATIVE_INFINITY;
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.labelCount; i++) if (i !== p && unit.score(i) > best) best = unit.score(i);
    return unit.score(p) - (best === Number.NEGATIVE_INFINITY ? 0 : best);
  }

  private runnerUp(unit: ScoreUnit): number {
    let other = -1;
    for (let i = 0; i < this.labelCount; i++) {
      if (i !== this.positive && (other < 0 || unit.score(i) > unit.score(other))) other = i;
    }
    return other;
  }

  private decide(state: ProcessState, unit: ScoreUnit, hits: RuleHitInfo[] | undefined, ts?: number): void {
    let ruleLvl = 0;
    if (hits) {
      for (const h of hits) {
        if (h.verdict === 'benign') {
          unit.allowed = true;
          return;
        }
        ruleLvl = Math.max(ruleLvl, ruleLevel(h.verdict));
      }
    }
    const margin = this.margin(unit);
    const modelLvl = modelLevel(margin, unit.counts.size > 0, this.opts.policy);
    const level = Math.max(ruleLvl, modelLvl);
    if (level <= unit.alertLevel) return;
    unit.alertLevel = level;
    this.stats.alerts++;
    const reason = ruleLvl >= level && modelLvl >= level ? 'model+rule' : ruleLvl >= level ? 'rule' : 'model';
    const isTree = unit.rootPid !== state.pid || unit.rootHost !== state.host || unit.members > 1;
    this.onAlert({
      type: 'alert',
      host: state.host,
      pid: state.pid,
      ppid: state.ppid,
      process: state.process,
      verdict: levelNames[level] as 'suspicious' | 'malicious',
      reason,
      score: Number.isFinite(margin) ? margin : null,
      threshold: this.opts.policy.threshold,
      positive: this.opts.policy.positive,
      scores: scoresObject(this.labels, (i) => unit.score(i)),
      rule_hits: hits ?? [],
      top_ngrams:
        this.scorer && this.positive >= 0
          ? this.scorer.topNgrams(unit, this.positive, this.runnerUp(unit), this.opts.top ?? 5)
          : [],
      calls: unit.calls,
      seconds: Math.round(unit.seconds() * 1e6) / 1e6,
      ts,
      tree: isTree ? { host: unit.rootHost, pid: unit.rootPid } : undefined,
      truncated: unit.truncated,
      high_risk_calls: unit.highRiskCalls,
    });
  }

  /** Summary for the end of a run. */
  summary(malformed: number): Record<string, number> {
    return {
      events: this.stats.events,
      calls: this.stats.calls,
      exits: this.stats.exits,
      unknown_exits: this.stats.unknownExits,
      processes_seen: this.table.created,
      processes_tracked: this.table.size,
      evicted: this.table.evicted,
      alerts: this.stats.alerts,
      malformed,
      out_of_order: this.stats.outOfOrder,
      api_names: this.interner.names.length - 1,
    };
  }
}
