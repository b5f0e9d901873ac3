// The rule language: its schema (zod) and the types the compiler consumes.
//
// A rule file holds one rule or a list of rules (several YAML documents allowed). Every mapping is
// strict: a misspelt field is an error, never silently ignored. The language, by example:
//
//   - id: injection-remote-thread          # unique, [A-Za-z0-9._-]
//     title: Remote thread injection
//     severity: high                       # info | low | medium | high | critical
//     verdict: malicious                   # malicious | suspicious | benign (allow-listing)
//     tags: [attack.t1055.002]
//     scope: process                       # or `tree`: the process and its descendants
//     match:                               # exactly one of: call, sequence, count, all, any
//       sequence:
//         within: {calls: 5000, seconds: 60}
//         steps:
//           - api: NtOpenProcess|OpenProcess
//             bind: {h: [processhandle, ret]}     # $h = the first present source
//           - api: NtWriteVirtualMemory|WriteProcessMemory
//             args: {processhandle: $h}
//         until: {api: NtClose, args: {handle: $h}}
//
// A step: `api` (names split by `|`, or a list; case-insensitive; absent = any API), `category`,
// `args` (argument name -> condition), `ret` (condition on the return value), `status` (success),
// `bind` (variable -> `ret` or argument names). A condition is a scalar (= `equals`) or a mapping of
// operators that must all hold; an operator given a list holds when any element does. `$name`
// refers to a bound variable (`$$` escapes a literal `$`). See conditions.ts for the operators.
import { z } from 'zod';

const scalar = z.union([z.string().max(4096), z.number(), z.boolean()]);
const scalarOrList = z.union([scalar, z.array(scalar).min(1).max(256)]);
const numeric = z.union([z.number(), z.string().max(64)]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);

/** Own entries as a Map, so names like `__proto__` survive (a plain-object record would drop them). */
const toMap = (v: unknown): unknown => (isPlainObject(v) ? new Map(Object.entries(v)) : v);

export const stringOperators = [
  'equals',
  'iequals',
  'contains',
  'icontains',
  'startswith',
  'istartswith',
  'endswith',
  'iendswith',
  'glob',
  'iglob',
  'regex',
  'iregex',
] as const;
export type StringOperator = (typeof stringOperators)[number];
export const numericOperators = ['gt', 'ge', 'lt', 'le', 'bits_all', 'bits_any'] as const;
export type NumericOperator = (typeof numericOperators)[number];

export interface ConditionDef {
  equals?: Scalar | Scalar[];
  iequals?: Scalar | Scalar[];
  contains?: Scalar | Scalar[];
  icontains?: Scalar | Scalar[];
  startswith?: Scalar | Scalar[];
  istartswith?: Scalar | Scalar[];
  endswith?: Scalar | Scalar[];
  iendswith?: Scalar | Scalar[];
  glob?: Scalar | Scalar[];
  iglob?: Scalar | Scalar[];
  regex?: Scalar | Scalar[];
  iregex?: Scalar | Scalar[];
  gt?: number | string;
  ge?: number | string;
  lt?: number | string;
  le?: number | string;
  bits_all?: number | string;
  bits_any?: number | string;
  exists?: boolean;
  not?: ConditionDef;
  any?: ConditionDef[];
}
export type Scalar = z.infer<typeof scalar>;

export const conditionSchema: z.ZodType<ConditionDef> = z.lazy(() =>
  z.preprocess(
    (v) => (isPlainObject(v) ? v : { equals: v }),
    z
      .strictObject({
        equals: scalarOrList.optional(),
        iequals: scalarOrList.optional(),
        contains: scalarOrList.optional(),
        icontains: scalarOrList.optional(),
        startswith: scalarOrList.optional(),
        istartswith: scalarOrList.optional(),
        endswith: scalarOrList.optional(),
        iendswith: scalarOrList.optional(),
        glob: scalarOrList.optional(),
        iglob: scalarOrList.optional(),
        regex: scalarOrList.optional(),
        iregex: scalarOrList.optional(),
        gt: numeric.optional(),
        ge: numeric.optional(),
        lt: numeric.optional(),
        le: numeric.optional(),
        bits_all: numeric.optional(),
        bits_any: numeric.optional(),
        exists: z.boolean().optional(),
        not: conditionSchema.optional(),
        any: z.array(conditionSchema).min(1).max(64).optional(),
      })
      .refine((c) => Object.keys(c).length > 0, 'a condition needs at least one operator'),
  ),
);

const argName = z.string().min(1).max(128);
const varName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a variable name is [A-Za-z_][A-Za-z0-9_]*');
const nameList = z.union([z.string().min(1).max(4096), z.array(z.string().min(1).max(256)).min(1).max(256)]);

export const stepShape = {
  api: nameList.optional(),
  category: nameList.optional(),
  args: z.preprocess(toMap, z.map(argName, conditionSchema)).optional(),
  ret: conditionSchema.optional(),
  status: z.boolean().optional(),
  bind: z.preprocess(toMap, z.map(varName, nameList)).optional(),
};
export const stepSchema = z.strictObject(stepShape);
export type StepDef = z.infer<typeof stepSchema>;

export const windowSchema = z
  .strictObject({
    calls: z.number().int().min(1).max(10_000_000).optional(),
    seconds: z.number().positive().max(1_000_000).optional(),
  })
  .refine((w) => w.calls !== undefined || w.seconds !== undefined, 'give `calls`, `seconds` or both');
export type WindowDef = z.infer<typeof windowSchema>;

export const sequenceSchema = z.strictObject({
  steps: z.array(stepSchema).min(1).max(32),
  within: windowSchema.optional(),
  until: stepSchema.optional(),
});
export type SequenceDef = z.infer<typeof sequenceSchema>;

export const countSchema = z.strictObject({
  ...stepShape,
  min: z.number().int().min(1).max(100_000),
  within: windowSchema.optional(),
  /** Count distinct values instead of calls: `api`, or an argument name. */
  distinct: z.string().min(1).max(128).optional(),
});
export type CountDef = z.infer<typeof countSchema>;

export interface ExpressionDef {
  call?: StepDef;
  sequence?: SequenceDef;
  count?: CountDef;
  all?: ExpressionDef[];
  any?: ExpressionDef[];
  not?: ExpressionDef;
}

export const expressionSchema: z.ZodType<ExpressionDef> = z.lazy(() =>
  z
    .strictObject({
      call: stepSchema.optional(),
      sequence: sequenceSchema.optional(),
      count: countSchema.optional(),
      all: z.array(expressionSchema).min(1).max(32).optional(),
      any: z.array(expressionSchema).min(1).max(32).optional(),
      not: expressionSchema.optional(),
    })
    .refine(
      (e) => Object.keys(e).length === 1,
      'an expression has exactly one of: call, sequence, count, all, any, not',
    ),
);

export const severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];
export const verdicts = ['malicious', 'suspicious', 'benign'] as const;
export type RuleVerdict = (typeof verdicts)[number];

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'an id is [A-Za-z0-9][A-Za-z0-9._-]*'),
  title: z.string().min(1).max(256),
  description: z.string().max(8192).optional(),
  severity: z.enum(severities),
  verdict: z.enum(verdicts),
  references: z.array(z.string().max(2048)).max(64).optional(),
  tags: z.array(z.string().max(128)).max(64).optional(),
  scope: z.enum(['process', 'tree']).default('process'),
  match: expressionSchema,
});
export type RuleBody = z.infer<typeof ruleSchema>;

/** A validated rule and where it was defined. */
export interface RuleDef extends RuleBody {
  file: string;
  line: number;
}
