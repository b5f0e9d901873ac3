// Small builders for rule tests: rules from YAML text, calls and traces from plain values.
import assert from 'node:assert/strict';
import type { ArgValue, Call, Trace } from '../../src/core/trace.js';
import { formatProblem, parseRules } from '../../src/rules/load.js';
import { type CompiledRules, compileRules } from '../../src/rules/matcher.js';

export function rulesFrom(yaml: string): CompiledRules {
  const { rules, problems } = parseRules(yaml, 'inline.yaml');
  assert.deepEqual(problems.map(formatProblem), []);
  return compileRules(rules);
}

/** One rule `r` with the given match expression (YAML, indented under `match:`). */
export function ruleWith(match: string, extra = ''): CompiledRules {
  return rulesFrom(`id: r\ntitle: R\nseverity: high\nverdict: malicious\n${extra}match:\n${match}`);
}

export function call(api: string, args: Record<string, ArgValue> = {}, more: Partial<Call> = {}): Call {
  return { api, args: new Map(Object.entries(args)), ...more };
}

export function traceOf(calls: Call[], id = 't'): Trace {
  return { id, format: 'jsonl', processes: [{ pid: 1, calls }] };
}

/** Ids of the rules that fire on these calls (one process). */
export function firedOn(rules: CompiledRules, calls: Call[]): string[] {
  return rules.matchTrace(traceOf(calls)).map((h) => h.rule);
}
