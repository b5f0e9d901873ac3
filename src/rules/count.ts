// `count`: calls passing a step at least `min` times within a window (a `repeated` record counts for
// every call it stands for), or with `distinct`, at least `min` different values of the API name or
// of an argument (e.g. RunPE: 4 distinct APIs of a set; mass encryption: writes to 20 distinct files).
//
// Memory bound: the plain count keeps only the matching calls still needed to reach `min` (at most
// `min` entries); the distinct count keeps the latest call per value, at most MAX_DISTINCT values
// (the least recently seen value is dropped first, which can only delay or miss a match).
import type { Path } from './conditions.js';
import {
  type Evidence,
  type ExpressionNode,
  evidenceOf,
  inWindow,
  type Mark,
  type NodeState,
} from './node.js';
import type { CountDef } from './schema.js';
import { compileStep } from './step.js';
import { argCandidates } from './values.js';

export const MAX_DISTINCT = 4096;
/** Evidence kept per count match (the most recent calls). */
export const MAX_COUNT_EVIDENCE = 100;

interface Seen extends Mark {
  weight: number;
  evidence: Evidence;
}

export interface CountState extends NodeState {
  /** Plain count: matching calls in the window, oldest first, and their total weight. */
  recent: Seen[];
  total: number;
  /** Distinct count: value -> its latest call, least recently seen first. */
  values: Map<string, Seen>;
}

const noVariables = new Map();

export function compileCount(def: CountDef, path: Path): ExpressionNode<CountState> {
  const { min, within, distinct, ...stepDef } = def;
  const step = compileStep(stepDef, { bound: new Set() }, path);
  const distinctBy =
    distinct === undefined
      ? null
      : distinct.toLowerCase() === 'api'
        ? 'api'
        : { candidates: argCandidates(distinct) };
  const limit = Math.min(min, MAX_DISTINCT);

  return {
    apis: step.apis,
    newState: () => ({ fired: false, undetermined: false, recent: [], total: 0, values: new Map() }),
    feed(state, call) {
      if (state.fired) return null;
      const passes = step.test(call, noVariables);
      if (passes !== true) {
        if (passes === undefined) state.undetermined = true;
        return null;
      }
      const seen: Seen = {
        position: call.position,
        ts: call.call.ts,
        weight: call.weight,
        evidence: evidenceOf(call),
      };
      if (distinctBy) {
        const value = distinctBy === 'api' ? call.apiLower : call.arg(distinctBy.candidates)?.lower;
        if (value === undefined) {
          state.undetermined = true;
          return null;
        }
        state.values.delete(value);
        state.values.set(value, seen);
        for (const [v, first] of state.values) {
          if (inWindow(within, first, seen) && state.values.size <= MAX_DISTINCT) break;
          state.values.delete(v);
        }
        if (state.values.size < limit) return null;
        return fire(state, [...state.values.values()]);
      }
      state.recent.push(seen);
      state.total += seen.weight;
      while (state.recent.length > 0 && !inWindow(within, state.recent[0], seen))
        state.total -= state.recent.shift()!.weight;
      while (state.recent.length > 1 && state.total - state.recent[0].weight >= min)
        state.total -= state.recent.shift()!.weight;
      if (state.total < min) return null;
      return fire(state, state.recent);
    },
  };
}

function fire(state: CountState, seen: Seen[]): Evidence[] {
  state.fired = true;
  const evidence = seen.slice(-MAX_COUNT_EVIDENCE).map((s) => s.evidence);
  state.recent = [];
  state.values.clear();
  return evidence;
}
