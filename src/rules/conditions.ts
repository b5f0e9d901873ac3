// Condition operators on one value (an argument or the return value), compiled once per rule.
//
// equals / iequals        same integer when both sides parse as integers (0x1a4 == 420), else the
//                         same text (iequals: ignoring case)
// contains, startswith, endswith (+ i- variants)   substring tests on the text
// glob / iglob            whole-value wildcard match: `*` any run of characters, `?` one character
// regex / iregex          RE2 syntax, searched anywhere in the value; evaluated by re2js, a linear-time
//                         engine, so no pattern can make the matcher backtrack exponentially
// gt, ge, lt, le          integer compare (decimal or 0x hex); false when the value is not an integer
// bits_all / bits_any     all / any of the mask's bits set (access masks, protection flags)
// exists                  whether the argument is present at all
// not: {...}              the inner condition does not hold
// any: [{...}, ...]       at least one of the conditions holds
// Several operators in one mapping must all hold; an operator given a list holds when any element does.
// `$name` as an operand is the value bound to variable `name` by an earlier step; `$$x` is literal `$x`.
//
// Absent data (three-valued, Kleene's strong logic): on a call that lacks the argument (or return
// value), every operator but `exists` is *unknown*, not false. `not` of unknown is unknown, `any`
// is true if a member is true else unknown if one is, a mapping is false if an operator is false
// else unknown if one is. A step matches only a condition that is known true, so neither a
// condition nor its negation matches a call without the data (CSV traces have API names only: a
// `not: {equals: 0xffffffff}` must not pass there). `exists` is the one way to ask about absence.
import { RE2JS } from 're2js';
import type { ConditionDef, Scalar } from './schema.js';
import { type ValueView, viewOf } from './values.js';

export type Path = (string | number)[];

/** A rule that passed the schema but cannot be compiled (bad regex, unbound variable...). */
export class RuleCompileError extends Error {
  readonly path: Path;
  constructor(path: Path, message: string) {
    super(message);
    this.path = path;
  }
}

export type Bindings = ReadonlyMap<string, ValueView>;
/** true, false, or undefined for unknown (the value, or a variable it refers to, is absent). */
export type Truth = boolean | undefined;
export type ValueTest = (value: ValueView | undefined, vars: Bindings) => Truth;

/** Kleene conjunction of two truth values. */
export function and3(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  return a === undefined || b === undefined ? undefined : true;
}

/** Variables a condition may refer to (bound by earlier steps). */
export interface VariableScope {
  bound: ReadonlySet<string>;
}

type Operand = { literal: ValueView } | { variable: string };

function operand(value: Scalar, scope: VariableScope, path: Path): Operand {
  if (typeof value === 'string' && value.startsWith('$')) {
    if (value.startsWith('$$')) return { literal: viewOf(value.slice(1)) };
    const name = value.slice(1);
    if (!scope.bound.has(name))
      throw new RuleCompileError(path, `variable $${name} is not bound by an earlier step`);
    return { variable: name };
  }
  return { literal: viewOf(value) };
}

function resolve(op: Operand, vars: Bindings): ValueView | undefined {
  return 'literal' in op ? op.literal : vars.get(op.variable);
}

const list = (v: Scalar | Scalar[]): Scalar[] => (Array.isArray(v) ? v : [v]);

function globToRegex(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  }
  return out;
}

function compileRegex(source: string, ignoreCase: boolean, path: Path): RE2JS {
  try {
    return RE2JS.compile(source, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw new RuleCompileError(
      path,
      `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`,
    );
  }
}

function integerOperand(value: number | string, scope: VariableScope, path: Path): Operand {
  const op = operand(value, scope, path);
  if ('literal' in op && op.literal.num === undefined)
    throw new RuleCompileError(path, `${JSON.stringify(value)} is not an integer (decimal or 0x hex)`);
  return op;
}

function stringTest(operator: string, values: Scalar[], scope: VariableScope, path: Path): ValueTest {
  const ignoreCase = operator.startsWith('i');
  const base = ignoreCase ? operator.slice(1) : operator;
  if (base === 'glob' || base === 'regex') {
    const patterns = values.map((v, i) => {
      const p = [...path, ...(values.length > 1 ? [i] : [])];
      if (typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$'))
        throw new RuleCompileError(p, `${operator} takes a pattern, not a variable`);
      const text = typeof v === 'string' && v.startsWith('$$') ? v.slice(1) : String(v);
      return compileRegex(base === 'glob' ? globToRegex(text) : text, ignoreCase, p);
    });
    if (base === 'glob')
      return (v) => (v === undefined ? undefined : patterns.some((re) => re.matches(v.text)));
    return (v) => (v === undefined ? undefined : patterns.some((re) => re.matcher(v.text).find()));
  }
  const operands = values.map((v, i) => operand(v, scope, [...path, ...(values.length > 1 ? [i] : [])]));
  const test = (v: ValueView, o: ValueView): boolean => {
    switch (base) {
      case 'equals':
        if (v.num !== undefined && o.num !== undefined) return v.num === o.num;
        return ignoreCase ? v.lower === o.lower : v.text === o.text;
      case 'contains':
        return ignoreCase ? v.lower.includes(o.lower) : v.text.includes(o.text);
      case 'startswith':
        return ignoreCase ? v.lower.startsWith(o.lower) : v.text.startsWith(o.text);
      case 'endswith':
        return ignoreCase ? v.lower.endsWith(o.lower) : v.text.endsWith(o.text);
      default:
        throw new RuleCompileError(path, `unknown operator ${operator}`);
    }
  };
  return (v, vars) => {
    if (v === undefined) return undefined;
    let result: Truth = false;
    for (const op of operands) {
      const o = resolve(op, vars);
      if (o === undefined) result = undefined;
      else if (test(v, o)) return true;
    }
    return result;
  };
}

function numericTest(operator: string, value: number | string, scope: VariableScope, path: Path): ValueTest {
  const op = integerOperand(value, scope, path);
  const cmp = (a: bigint, b: bigint): boolean => {
    switch (operator) {
      case 'gt':
        return a > b;
      case 'ge':
        return a >= b;
      case 'lt':
        return a < b;
      case 'le':
        return a <= b;
      case 'bits_all':
        return (a & b) === b;
      default:
        return (a & b) !== 0n;
    }
  };
  return (v, vars) => {
    const o = resolve(op, vars);
    if (v === undefined || o === undefined) return undefined;
    return v.num !== undefined && o.num !== undefined && cmp(v.num, o.num);
  };
}

/** Compiles a condition; `path` locates it in the rule file for error messages. */
export function compileCondition(def: ConditionDef, scope: VariableScope, path: Path): ValueTest {
  const tests: ValueTest[] = [];
  for (const [key, value] of Object.entries(def)) {
    if (value === undefined) continue;
    const p = [...path, key];
    if (key === 'exists') {
      const want = value as boolean;
      tests.push((v) => (v !== undefined) === want);
    } else if (key === 'not') {
      const inner = compileCondition(value as ConditionDef, scope, p);
      tests.push((v, vars) => {
        const t = inner(v, vars);
        return t === undefined ? undefined : !t;
      });
    } else if (key === 'any') {
      const inner = (value as ConditionDef[]).map((c, i) => compileCondition(c, scope, [...p, i]));
      tests.push((v, vars) => {
        let result: Truth = false;
        for (const t of inner) {
          const r = t(v, vars);
          if (r === true) return true;
          if (r === undefined) result = undefined;
        }
        return result;
      });
    } else if (['gt', 'ge', 'lt', 'le', 'bits_all', 'bits_any'].includes(key)) {
      tests.push(numericTest(key, value as number | string, scope, p));
    } else {
      tests.push(stringTest(key, list(value as Scalar | Scalar[]), scope, p));
    }
  }
  if (tests.length === 1) return tests[0];
  return (v, vars) => {
    let result: Truth = true;
    for (const t of tests) {
      result = and3(result, t(v, vars));
      if (result === false) return false;
    }
    return result;
  };
}
