// The streaming rule matcher: rules compile to state machines fed one call at a time, per process.
//
//   const rules = compileRules(defs);
//   const state = rules.newProcessState();
//   for (const [i, call] of calls.entries()) for (const hit of rules.feed(state, call, i)) alert(hit);
//
// Each rule fires at most once per process state, with the calls that matched as evidence.
// Tree-scoped rules (`scope: tree`) also see the calls of the process's descendants: the caller
// feeds those into the ancestor's state with `fromPid` set (process-scoped rules ignore them).
// A call is fed only to the rules whose expressions mention its API (or listen to any API).
// Memory per process state is bounded by the rule count times the per-operator caps
// (sequence.ts MAX_PARTIALS, count.ts MAX_DISTINCT / min).
import type { Call, ProcessTrace, Trace } from '../core/trace.js';
import { type Path, RuleCompileError } from './conditions.js';
import { compileCount } from './count.js';
import { compileAll, compileAny } from './logic.js';
import type { Evidence, ExpressionNode, NodeState } from './node.js';
import type { ExpressionDef, RuleDef, RuleVerdict, Severity } from './schema.js';
import { compileSequence } from './sequence.js';
import { CallView } from './values.js';

export interface RuleHit {
  rule: string;
  title: string;
  verdict: RuleVerdict;
  severity: Severity;
  tags: string[];
  /** The calls that matched, in match order. */
  evidence: Evidence[];
}

/** A hit found by matchTrace: the process whose state fired (evidence carries the pid of each call). */
export interface TraceRuleHit extends RuleHit {
  pid: number;
}

export interface ProcessState {
  rules: NodeState[];
  ownPosition: number;
  treePosition: number;
}

export interface CompiledRules {
  readonly rules: readonly RuleDef[];
  newProcessState(): ProcessState;
  /** Feeds one call of the process (or, with `fromPid`, of a descendant); returns the rules that fired now. */
  feed(state: ProcessState, call: Call, index: number, fromPid?: number): RuleHit[];
  /** Runs every rule over a whole trace, process by process. */
  matchTrace(trace: Trace): TraceRuleHit[];
}

function compileExpression(def: ExpressionDef, path: Path): ExpressionNode {
  if (def.call) return compileCount({ ...def.call, min: 1 }, [...path, 'call']) as ExpressionNode;
  if (def.sequence) return compileSequence(def.sequence, [...path, 'sequence']) as ExpressionNode;
  if (def.count) return compileCount(def.count, [...path, 'count']) as ExpressionNode;
  if (def.any)
    return compileAny(def.any.map((e, i) => compileExpression(e, [...path, 'any', i]))) as ExpressionNode;
  if (def.all) {
    const members = def.all.map((e, i) =>
      e.not
        ? { node: compileExpression(e.not, [...path, 'all', i, 'not']), negated: true }
        : { node: compileExpression(e, [...path, 'all', i]), negated: false },
    );
    if (members.every((m) => m.negated))
      throw new RuleCompileError([...path, 'all'], '`all` needs at least one member that is not `not`');
    return compileAll(members) as ExpressionNode;
  }
  throw new RuleCompileError([...path, 'not'], '`not` is only allowed as a member of `all`');
}

/** Compiles one rule's match expression; throws RuleCompileError (with the path of the bad field). */
export function compileRule(rule: RuleDef): ExpressionNode {
  return compileExpression(rule.match, ['match']);
}

export function compileRules(rules: readonly RuleDef[]): CompiledRules {
  const nodes = rules.map((r) => compileRule(r));
  const tree = rules.map((r) => r.scope === 'tree');
  const anyTree = tree.some(Boolean);
  // Which rules a call can affect, by API name: rules listening to any API are fed every call.
  const anyApi: number[] = [];
  const byApi = new Map<string, number[]>();
  nodes.forEach((node, i) => {
    if (node.apis === null) anyApi.push(i);
    else for (const api of node.apis) byApi.set(api, [...(byApi.get(api) ?? []), i]);
  });
  for (const [api, list] of byApi)
    byApi.set(
      api,
      [...new Set([...list, ...anyApi])].sort((a, b) => a - b),
    );

  const newProcessState = (): ProcessState => ({
    rules: nodes.map((n) => n.newState()),
    ownPosition: 0,
    treePosition: 0,
  });

  const feed = (state: ProcessState, call: Call, index: number, fromPid?: number): RuleHit[] => {
    const view = new CallView(call, index, fromPid);
    const own = fromPid === undefined ? state.ownPosition++ : -1;
    const treePos = state.treePosition++;
    const hits: RuleHit[] = [];
    for (const i of byApi.get(view.apiLower) ?? anyApi) {
      if (!tree[i] && fromPid !== undefined) continue;
      view.position = tree[i] ? treePos : own;
      const evidence = nodes[i].feed(state.rules[i], view);
      if (evidence) {
        const r = rules[i];
        hits.push({
          rule: r.id,
          title: r.title,
          verdict: r.verdict,
          severity: r.severity,
          tags: r.tags ?? [],
          evidence,
        });
      }
    }
    return hits;
  };

  const matchTrace = (trace: Trace): TraceRuleHit[] => {
    const children = new Map<number, ProcessTrace[]>();
    for (const p of trace.processes) {
      if (p.ppid === undefined || p.ppid === p.pid) continue;
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    }
    const hits: TraceRuleHit[] = [];
    for (const process of trace.processes) {
      const state = newProcessState();
      const record = (found: RuleHit[]) => {
        for (const h of found) {
          const evidence = h.evidence.map((e) => (e.pid === undefined ? { ...e, pid: process.pid } : e));
          hits.push({ ...h, evidence, pid: process.pid });
        }
      };
      const descendants = anyTree ? descendantsOf(process, children) : [];
      if (descendants.length === 0) {
        for (let i = 0; i < process.calls.length; i++) record(feed(state, process.calls[i], i));
        continue;
      }
      const events: { call: Call; index: number; pid?: number }[] = process.calls.map((call, index) => ({
        call,
        index,
      }));
      for (const d of descendants) {
        for (let index = 0; index < d.calls.length; index++)
          events.push({ call: d.calls[index], index, pid: d.pid });
      }
      if (events.every((e) => e.call.ts !== undefined))
        events.sort((a, b) => (a.call.ts as number) - (b.call.ts as number));
      for (const e of events) record(feed(state, e.call, e.index, e.pid));
    }
    return hits;
  };

  return { rules, newProcessState, feed, matchTrace };
}

/** The descendants of a process (children first), each visited once even if pids form a cycle. */
function descendantsOf(root: ProcessTrace, children: Map<number, ProcessTrace[]>): ProcessTrace[] {
  const out: ProcessTrace[] = [];
  const seen = new Set<ProcessTrace>([root]);
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const c of children.get(p.pid) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
