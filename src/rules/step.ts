// One step: the test a single call must pass (API name, category, argument and return conditions,
// success status), and the variables it binds for later steps.
// The test is three-valued (conditions.ts): a wrong API name, or data present and failing, is false;
// a condition on data the call does not carry (argument, return value, status, category) is unknown,
// and the step does not match such a call (callers treat unknown as "cannot tell", never as a pass).
import {
  type Bindings,
  compileCondition,
  type Path,
  RuleCompileError,
  type Truth,
  type ValueTest,
  type VariableScope,
} from './conditions.js';
import type { StepDef } from './schema.js';
import { argCandidates, type CallView, type ValueView } from './values.js';

export interface CompiledStep {
  /** Lower-cased API names, or null for any API. */
  apis: ReadonlySet<string> | null;
  /** Whether the call passes this step given the variables bound so far; undefined = unknown (data absent). */
  test(call: CallView, vars: Bindings): Truth;
  /** Variables this step binds (name -> value), or null when a source is missing from the call. */
  bind(call: CallView): Map<string, ValueView> | null;
  /** Names of the variables this step binds. */
  binds: string[];
}

/** `A|B` or [A, B] -> the lower-cased names; `*` alone means any. */
function nameSet(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const names = (Array.isArray(value) ? value : value.split('|'))
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('*')) return null;
  return new Set(names);
}

/** What a step without `bind` binds: shared, never written to. */
const noBindings: Map<string, ValueView> = new Map();

export function compileStep(def: StepDef, scope: VariableScope, path: Path): CompiledStep {
  const apis = nameSet(def.api);
  const categories = nameSet(def.category);
  const argTests: { candidates: readonly string[]; test: ValueTest }[] = [];
  for (const [name, cond] of def.args ?? []) {
    argTests.push({
      candidates: argCandidates(name),
      test: compileCondition(cond, scope, [...path, 'args', name]),
    });
  }
  const retTest = def.ret ? compileCondition(def.ret, scope, [...path, 'ret']) : null;
  const sources: { name: string; from: { ret: true } | { candidates: readonly string[] } }[][] = [];
  const binds: string[] = [];
  for (const [name, from] of def.bind ?? []) {
    if (binds.includes(name))
      throw new RuleCompileError([...path, 'bind', name], `variable $${name} bound twice`);
    binds.push(name);
    const list = Array.isArray(from) ? from : from.split('|');
    sources.push(
      list.map((s) => ({
        name,
        from:
          s.trim().toLowerCase() === 'ret' ? { ret: true as const } : { candidates: argCandidates(s.trim()) },
      })),
    );
  }
  const status = def.status;

  return {
    apis,
    binds,
    test(call, vars) {
      if (apis && !apis.has(call.apiLower)) return false;
      let result: Truth = true;
      if (categories) {
        const category = call.call.category;
        if (category === undefined) result = undefined;
        else if (!categories.has(category.toLowerCase())) return false;
      }
      if (status !== undefined) {
        if (call.call.status === undefined) result = undefined;
        else if (call.call.status !== status) return false;
      }
      if (retTest) {
        const t = retTest(call.ret(), vars);
        if (t === false) return false;
        if (t === undefined) result = undefined;
      }
      for (const a of argTests) {
        const t = a.test(call.arg(a.candidates), vars);
        if (t === false) return false;
        if (t === undefined) result = undefined;
      }
      return result;
    },
    bind(call) {
      if (sources.length === 0) return noBindings;
      const out = new Map<string, ValueView>();
      for (const options of sources) {
        for (const o of options) {
          const v = 'ret' in o.from ? call.ret() : call.arg(o.from.candidates);
          if (v !== undefined && v.text !== '') {
            out.set(o.name, v);
            break;
          }
        }
        if (!out.has(options[0].name)) return null;
      }
      return out;
    },
  };
}
