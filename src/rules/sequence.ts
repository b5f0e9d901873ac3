// `sequence`: ordered steps within one process (or tree), optionally within a window of calls or
// seconds, optionally correlated through bound variables, optionally aborted by an `until` step.
//
// Semantics (like an EQL sequence): the rule holds when calls c1 < c2 < ... < cn exist with ci passing
// step i given the variables bound by c1..c(i-1), all within the window measured from c1, and no call
// between c1 and cn passes `until` given those variables. The state is the set of partial matches
// (stage reached, variables bound, start). A call that passes the next step of a partial forks it (the
// partial stays, so a later call with other values can still continue it); partials with the same stage
// and variables are merged, keeping the latest start (the most window left).
//
// Memory bound: at most MAX_PARTIALS partial matches per sequence per process. When a new or advanced
// partial would exceed it, the least recently started/advanced partial is dropped: a match that needs
// it is missed (a false negative), never invented. Partials also end when they leave the window.
//
// Absent data: a call whose step test is unknown (conditions.ts) does not advance a partial, and a
// call whose `until` test is unknown ends the partials it might have aborted; either marks the state
// undetermined (node.ts). Speed: steps are indexed by API name, so a call whose API no step (nor
// `until`) names returns at once; partials are checked only when the call can advance or abort them,
// and out-of-window partials are dropped when met (or evicted first by the cap, being the oldest).
import { type Bindings, type Path, RuleCompileError, type VariableScope } from './conditions.js';
import {
  type Evidence,
  type ExpressionNode,
  evidenceOf,
  inWindowAt,
  type NodeState,
  unionApis,
} from './node.js';
import type { SequenceDef } from './schema.js';
import { type CompiledStep, compileStep } from './step.js';
import type { CallView, ValueView } from './values.js';

export const MAX_PARTIALS = 64;

interface PartialMatch {
  stage: number;
  vars: Map<string, ValueView>;
  start: { position: number; ts?: number };
  evidence: Evidence[];
}

export interface SequenceState extends NodeState {
  partials: Map<string, PartialMatch>;
}

const noVariables: Bindings = new Map();
const noStages: readonly boolean[] = [];

function keyOf(stage: number, vars: Map<string, ValueView>): string {
  let key = String(stage);
  for (const [name, v] of vars) key += `\0${name}=${v.num !== undefined ? `#${v.num}` : v.lower}`;
  return key;
}

export function compileSequence(def: SequenceDef, path: Path): ExpressionNode<SequenceState> {
  const bound = new Set<string>();
  const steps: CompiledStep[] = def.steps.map((step, i) => {
    const compiled = compileStep(step, { bound: new Set(bound) }, [...path, 'steps', i]);
    for (const name of compiled.binds) {
      if (bound.has(name))
        throw new RuleCompileError([...path, 'steps', i, 'bind', name], `variable $${name} is already bound`);
      bound.add(name);
    }
    return compiled;
  });
  const scope: VariableScope = { bound };
  const until = def.until ? compileStep(def.until, scope, [...path, 'until']) : null;
  const within = def.within;
  const last = steps.length - 1;

  // API name -> which stages' steps can accept it (steps with any API are in every entry).
  const anyApiStages = steps.map((s) => s.apis === null);
  const stagesByApi = new Map<string, boolean[]>();
  steps.forEach((s, i) => {
    for (const api of s.apis ?? []) {
      const stages = stagesByApi.get(api) ?? [...anyApiStages];
      stages[i] = true;
      stagesByApi.set(api, stages);
    }
  });
  const anyApiMatters = anyApiStages.some(Boolean) ? anyApiStages : noStages;

  /** Drops the partials this call aborts (`until`) or that left the window. */
  function prune(state: SequenceState, call: CallView, checkUntil: boolean): void {
    for (const [key, p] of state.partials) {
      if (!inWindowAt(within, p.start, call.position, call.call.ts)) {
        state.partials.delete(key);
        continue;
      }
      if (!checkUntil) continue;
      const aborts = (until as CompiledStep).test(call, p.vars);
      if (aborts === false) continue;
      if (aborts === undefined) state.undetermined = true;
      state.partials.delete(key);
    }
  }

  return {
    apis: unionApis([...steps, ...(until ? [until] : [])].map((s) => s.apis)),
    newState: () => ({ fired: false, undetermined: false, partials: new Map() }),
    feed(state, call) {
      if (state.fired) return null;
      const api = call.apiLower;
      const checkUntil = until !== null && (until.apis === null || until.apis.has(api));
      const stages = stagesByApi.get(api) ?? anyApiMatters;
      if (stages.length === 0 && !checkUntil) return null;
      if (state.partials.size > 0) prune(state, call, checkUntil);
      if (stages.length === 0) return null;

      let advanced: PartialMatch[] | null = null;
      for (const p of state.partials.values()) {
        if (!stages[p.stage]) continue;
        const passes = steps[p.stage].test(call, p.vars);
        if (passes !== true) {
          if (passes === undefined) state.undetermined = true;
          continue;
        }
        const bound = steps[p.stage].bind(call);
        if (!bound) {
          state.undetermined = true;
          continue;
        }
        const evidence = [...p.evidence, evidenceOf(call)];
        if (p.stage === last) return fire(state, evidence);
        const vars = bound.size === 0 ? p.vars : new Map([...p.vars, ...bound]);
        advanced = advanced ?? [];
        advanced.push({ stage: p.stage + 1, vars, start: p.start, evidence });
      }
      if (stages[0]) {
        const passes = steps[0].test(call, noVariables);
        if (passes === undefined) state.undetermined = true;
        const bound = passes === true ? steps[0].bind(call) : null;
        if (passes === true && !bound) state.undetermined = true;
        if (bound) {
          const evidence = [evidenceOf(call)];
          if (last === 0) return fire(state, evidence);
          const start = { position: call.position, ts: call.call.ts };
          advanced = advanced ?? [];
          advanced.push({ stage: 1, vars: bound, start, evidence });
        }
      }
      if (!advanced) return null;
      for (const p of advanced) {
        const key = keyOf(p.stage, p.vars);
        state.partials.delete(key);
        state.partials.set(key, p);
      }
      while (state.partials.size > MAX_PARTIALS)
        state.partials.delete(state.partials.keys().next().value as string);
      return null;
    },
  };
}

function fire(state: SequenceState, evidence: Evidence[]): Evidence[] {
  state.fired = true;
  state.partials.clear();
  return evidence;
}
