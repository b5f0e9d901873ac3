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
import { type Bindings, type Path, RuleCompileError, type VariableScope } from './conditions.js';
import {
  type Evidence,
  type ExpressionNode,
  evidenceOf,
  inWindow,
  type Mark,
  type NodeState,
  unionApis,
} from './node.js';
import type { SequenceDef } from './schema.js';
import { type CompiledStep, compileStep } from './step.js';
import type { ValueView } from './values.js';

export const MAX_PARTIALS = 64;

interface PartialMatch {
  stage: number;
  vars: Map<string, ValueView>;
  start: Mark;
  evidence: Evidence[];
}

export interface SequenceState extends NodeState {
  partials: Map<string, PartialMatch>;
}

const noVariables: Bindings = new Map();

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

  return {
    apis: unionApis([...steps, ...(until ? [until] : [])].map((s) => s.apis)),
    newState: () => ({ fired: false, partials: new Map() }),
    feed(state, call) {
      if (state.fired) return null;
      const now: Mark = { position: call.position, ts: call.call.ts };
      for (const [key, p] of state.partials) {
        if (!inWindow(within, p.start, now) || (until?.test(call, p.vars) ?? false))
          state.partials.delete(key);
      }
      const next: PartialMatch[] = [];
      const extend = (p: PartialMatch | null): Evidence[] | null => {
        const stage = p ? p.stage : 0;
        const step = steps[stage];
        if (!step.test(call, p ? p.vars : noVariables)) return null;
        const bound = step.bind(call);
        if (!bound) return null;
        const evidence = [...(p ? p.evidence : []), evidenceOf(call)];
        if (stage + 1 === steps.length) return evidence;
        const vars = p ? new Map([...p.vars, ...bound]) : bound;
        next.push({ stage: stage + 1, vars, start: p ? p.start : now, evidence });
        return null;
      };
      for (const p of state.partials.values()) {
        const done = extend(p);
        if (done) return fire(state, done);
      }
      const single = extend(null);
      if (single) return fire(state, single);
      for (const p of next) {
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
