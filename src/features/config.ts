// The classifier configuration: a Jubatus classifier config (jubatus-reference.md §1.8, §2.3)
// accepted unchanged, plus an optional `malgram` block for the native API-sequence rule.
//
// The `malgram` block is an extra top-level key. Jubatus reads only `method`, `parameter` and
// `converter` from a classifier config, so (by our reading of its JSON cast, not tested against a
// running server) it ignores the block; a Jubatus server fed datums whose `api_call` value holds
// the space-separated n-grams produces the same feature names, because `configFromFlags` also
// writes the equivalent Jubatus `space` rule on key `api_call` into `converter.string_rules`.
import { InputError, readTextFile } from '../core/errors.js';

export type SampleWeight = 'bin' | 'tf' | 'log_tf';
export type GlobalWeight = 'bin' | 'idf' | 'idf1' | 'bm25' | 'weight';
export const SAMPLE_WEIGHTS: readonly SampleWeight[] = ['bin', 'tf', 'log_tf'];
export const GLOBAL_WEIGHTS: readonly GlobalWeight[] = ['bin', 'idf', 'idf1', 'bm25', 'weight'];

export interface StringRule {
  key: string;
  except?: string;
  type: string;
  sample_weight: SampleWeight;
  global_weight: GlobalWeight;
}
export interface FilterRule {
  key: string;
  except?: string;
  type: string;
  suffix: string;
}
export interface NumRule {
  key: string;
  except?: string;
  type: string;
}
export interface CombinationRule {
  key_left: string;
  key_right: string;
  except_left?: string;
  except_right?: string;
  type: string;
}
/** Every `*_types` parameter value is a string in Jubatus (`"char_num": "2"`). */
export type TypeParams = Record<string, string>;

export interface ConverterConfig {
  string_filter_types?: Record<string, TypeParams>;
  string_filter_rules?: FilterRule[];
  num_filter_types?: Record<string, TypeParams>;
  num_filter_rules?: FilterRule[];
  string_types?: Record<string, TypeParams>;
  string_rules?: StringRule[];
  num_types?: Record<string, TypeParams>;
  num_rules?: NumRule[];
  binary_types?: Record<string, TypeParams>;
  binary_rules?: NumRule[];
  combination_types?: Record<string, TypeParams>;
  combination_rules?: CombinationRule[];
  hash_max_size?: number;
}

/** How `repeated` call records (calls the monitor collapsed) enter the n-grams. */
export type RepeatedPolicy = 'keep' | 'collapse' | 'expand';

/** The native API-sequence rule (malgram extension). */
export interface NativeConfig {
  /** n-gram sizes: a number 1..8 or a range "3-5". */
  ngram: number | string;
  sample_weight: SampleWeight;
  global_weight: GlobalWeight;
  /** `keep` (default): one token per call record; `collapse`: consecutive identical APIs count once; `expand`: each record repeated 1+repeated times, at most `expand_cap`. */
  repeated?: RepeatedPolicy;
  expand_cap?: number;
  /** Extra family: n-grams of API categories, datum key `api_category`. */
  categories?: boolean;
  /** Extra family: argument-derived tokens (registry keys, file paths normalised), datum key `api_arg`. */
  args?: boolean;
}

export interface ClassifierConfig {
  method: string;
  parameter?: Record<string, unknown>;
  converter: ConverterConfig;
  malgram?: NativeConfig;
}

/** Method names and aliases (jubatus-reference.md §1.4) plus the logistic-regression baseline. */
const METHOD_ALIASES = new Map<string, string>([
  ['perceptron', 'perceptron'],
  ['PA', 'PA'],
  ['passive_aggressive', 'PA'],
  ['PA1', 'PA1'],
  ['passive_aggressive_1', 'PA1'],
  ['PA2', 'PA2'],
  ['passive_aggressive_2', 'PA2'],
  ['CW', 'CW'],
  ['confidence_weighted', 'CW'],
  ['AROW', 'AROW'],
  ['arow', 'AROW'],
  ['NHERD', 'NHERD'],
  ['normal_herd', 'NHERD'],
  ['logreg', 'logreg'],
  ['ftrl', 'logreg'],
]);
/** Methods that need a `parameter` block (Jubatus: "parameter block is not specified in config"). */
const NEEDS_PARAMETER = new Set(['PA1', 'PA2', 'CW', 'AROW', 'NHERD']);

export const METHOD_NAMES = ['perceptron', 'PA', 'PA1', 'PA2', 'CW', 'AROW', 'NHERD', 'logreg'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/** Canonical method name of a Jubatus method name or alias, also accepting any letter case. */
export function canonicalMethod(name: string): MethodName {
  const exact = METHOD_ALIASES.get(name);
  if (exact) return exact as MethodName;
  for (const [alias, canon] of METHOD_ALIASES) {
    if (alias.toLowerCase() === name.toLowerCase()) return canon as MethodName;
  }
  throw new InputError(
    `unsupported method "${name}" (one of: perceptron, PA, PA1, PA2, CW, AROW, NHERD, logreg)`,
    'method',
  );
}

export interface NgramRange {
  min: number;
  max: number;
}

/** Parses `3` or `"3-5"` (n between 1 and 8). */
export function parseNgram(value: number | string, where = 'ngram'): NgramRange {
  const text = String(value).trim();
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new InputError(`"${text}" is not an n-gram size (a number 1-8 or a range like 3-5)`, where);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min < 1 || max > 8 || min > max) {
    throw new InputError(`n-gram size "${text}" must be within 1-8 with min <= max`, where);
  }
  return { min, max };
}

function checkSampleWeight(v: unknown, where: string): SampleWeight {
  if (typeof v !== 'string' || !(SAMPLE_WEIGHTS as readonly string[]).includes(v)) {
    throw new InputError(
      `unknown sample_weight ${JSON.stringify(v)} (one of: ${SAMPLE_WEIGHTS.join(', ')})`,
      where,
    );
  }
  return v as SampleWeight;
}
function checkGlobalWeight(v: unknown, where: string): GlobalWeight {
  if (typeof v !== 'string' || !(GLOBAL_WEIGHTS as readonly string[]).includes(v)) {
    throw new InputError(
      `unknown global_weight ${JSON.stringify(v)} (one of: ${GLOBAL_WEIGHTS.join(', ')})`,
      where,
    );
  }
  return v as GlobalWeight;
}
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Jubatus classifier config file (JSON), read and checked; an unreadable file is an InputError naming it. */
export function readConfigFile(path: string): ClassifierConfig {
  return parseConfig(readTextFile(path), path);
}

/**
 * Parses and validates a config (JSON text or object). Errors are InputErrors naming the field.
 * Returns the config object as given (Jubatus form); `regularization` is the float32 C.
 */
export function parseConfig(input: ClassifierConfig | string, where = 'config'): ClassifierConfig {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw new InputError(`invalid JSON: ${(err as Error).message}`, where);
    }
  }
  if (!isObject(raw)) throw new InputError('a classifier config must be a JSON object', where);
  if (typeof raw.method !== 'string')
    throw new InputError('"method" is missing or not a string', `${where}.method`);
  const method = canonicalMethod(raw.method);
  if (raw.parameter !== undefined && !isObject(raw.parameter)) {
    throw new InputError('"parameter" must be an object', `${where}.parameter`);
  }
  if (raw.parameter === undefined && NEEDS_PARAMETER.has(method)) {
    throw new InputError(
      `parameter block is not specified in config (method ${raw.method})`,
      `${where}.parameter`,
    );
  }
  const param = (raw.parameter ?? {}) as Record<string, unknown>;
  if (param.regularization_weight !== undefined) {
    const c = param.regularization_weight;
    if (typeof c !== 'number' || !Number.isFinite(c) || !(c > 0)) {
      throw new InputError(
        'regularization_weight must be a number > 0',
        `${where}.parameter.regularization_weight`,
      );
    }
  }
  if (!isObject(raw.converter))
    throw new InputError('"converter" is missing or not an object', `${where}.converter`);
  validateConverter(raw.converter, `${where}.converter`);
  if (raw.malgram !== undefined) {
    if (!isObject(raw.malgram)) throw new InputError('"malgram" must be an object', `${where}.malgram`);
    validateNative(raw.malgram, `${where}.malgram`);
  }
  return raw as unknown as ClassifierConfig;
}

function validateNative(n: Record<string, unknown>, where: string): void {
  if (typeof n.ngram !== 'number' && typeof n.ngram !== 'string') {
    throw new InputError('"ngram" is missing (a number 1-8 or a range like "3-5")', `${where}.ngram`);
  }
  parseNgram(n.ngram, `${where}.ngram`);
  checkSampleWeight(n.sample_weight, `${where}.sample_weight`);
  checkGlobalWeight(n.global_weight, `${where}.global_weight`);
  if (n.repeated !== undefined && !['keep', 'collapse', 'expand'].includes(n.repeated as string)) {
    throw new InputError(
      `unknown repeated policy ${JSON.stringify(n.repeated)} (keep, collapse, expand)`,
      `${where}.repeated`,
    );
  }
  if (n.expand_cap !== undefined && !(Number.isInteger(n.expand_cap) && (n.expand_cap as number) >= 1)) {
    throw new InputError('expand_cap must be an integer >= 1', `${where}.expand_cap`);
  }
}

const STRING_TYPE_METHODS = new Set(['ngram', 'regexp', 'split', 'dynamic']);
const BUILTIN_STRING_TYPES = new Set(['str', 'space']);
const BUILTIN_NUM_TYPES = new Set(['num', 'log', 'str']);
const BUILTIN_COMBINATION_TYPES = new Set(['add', 'mul']);
const FILTER_METHODS = new Set(['regexp', 'dynamic']);
const NUM_FILTER_METHODS = new Set([
  'add',
  'linear_normalization',
  'gaussian_normalization',
  'sigmoid_normalization',
  'dynamic',
]);

function validateTypes(types: unknown, methods: Set<string>, where: string): Map<string, TypeParams> {
  const out = new Map<string, TypeParams>();
  if (types === undefined) return out;
  if (!isObject(types)) throw new InputError('must be an object of named types', where);
  for (const [name, params] of Object.entries(types)) {
    if (!isObject(params)) throw new InputError('a type definition must be an object', `${where}.${name}`);
    if (typeof params.method !== 'string')
      throw new InputError('"method" is missing', `${where}.${name}.method`);
    if (!methods.has(params.method)) {
      throw new InputError(`unknown method "${params.method}"`, `${where}.${name}.method`);
    }
    if (params.method === 'dynamic') {
      throw new InputError('dynamic (plugin) types are not supported', `${where}.${name}.method`);
    }
    out.set(name, params as TypeParams);
  }
  return out;
}

function validateRules(rules: unknown, where: string, keys: string[]): Record<string, unknown>[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) throw new InputError('must be an array of rules', where);
  return rules.map((r, i) => {
    if (!isObject(r)) throw new InputError('a rule must be an object', `${where}[${i}]`);
    for (const k of keys) {
      if (typeof r[k] !== 'string')
        throw new InputError(`"${k}" is missing or not a string`, `${where}[${i}].${k}`);
    }
    return r;
  });
}

function validateConverter(c: Record<string, unknown>, where: string): void {
  const stringTypes = validateTypes(c.string_types, STRING_TYPE_METHODS, `${where}.string_types`);
  const filterTypes = validateTypes(c.string_filter_types, FILTER_METHODS, `${where}.string_filter_types`);
  const numFilterTypes = validateTypes(c.num_filter_types, NUM_FILTER_METHODS, `${where}.num_filter_types`);
  const numTypes = validateTypes(c.num_types, new Set(['dynamic']), `${where}.num_types`);
  const combTypes = validateTypes(c.combination_types, new Set(['dynamic']), `${where}.combination_types`);
  validateTypes(c.binary_types, new Set(['dynamic']), `${where}.binary_types`);
  validateRules(c.string_rules, `${where}.string_rules`, ['key', 'type']).forEach((r, i) => {
    const w = `${where}.string_rules[${i}]`;
    if (!stringTypes.has(r.type as string) && !BUILTIN_STRING_TYPES.has(r.type as string)) {
      throw new InputError(`unknown string type "${r.type}"`, `${w}.type`);
    }
    checkSampleWeight(r.sample_weight, `${w}.sample_weight`);
    checkGlobalWeight(r.global_weight, `${w}.global_weight`);
  });
  validateRules(c.string_filter_rules, `${where}.string_filter_rules`, ['key', 'type', 'suffix']).forEach(
    (r, i) => {
      if (!filterTypes.has(r.type as string)) {
        throw new InputError(
          `unknown string filter type "${r.type}"`,
          `${where}.string_filter_rules[${i}].type`,
        );
      }
    },
  );
  validateRules(c.num_filter_rules, `${where}.num_filter_rules`, ['key', 'type', 'suffix']).forEach(
    (r, i) => {
      if (!numFilterTypes.has(r.type as string)) {
        throw new InputError(`unknown num filter type "${r.type}"`, `${where}.num_filter_rules[${i}].type`);
      }
    },
  );
  validateRules(c.num_rules, `${where}.num_rules`, ['key', 'type']).forEach((r, i) => {
    if (!numTypes.has(r.type as string) && !BUILTIN_NUM_TYPES.has(r.type as string)) {
      throw new InputError(`unknown num type "${r.type}"`, `${where}.num_rules[${i}].type`);
    }
  });
  validateRules(c.binary_rules, `${where}.binary_rules`, ['key', 'type']).forEach((r, i) => {
    throw new InputError(
      `unknown binary type "${r.type}" (only plugins provide binary types)`,
      `${where}.binary_rules[${i}].type`,
    );
  });
  validateRules(c.combination_rules, `${where}.combination_rules`, ['key_left', 'key_right', 'type']).forEach(
    (r, i) => {
      if (!combTypes.has(r.type as string) && !BUILTIN_COMBINATION_TYPES.has(r.type as string)) {
        throw new InputError(`unknown combination type "${r.type}"`, `${where}.combination_rules[${i}].type`);
      }
    },
  );
  if (
    c.hash_max_size !== undefined &&
    !(Number.isInteger(c.hash_max_size) && (c.hash_max_size as number) > 0)
  ) {
    throw new InputError('hash_max_size must be a positive integer', `${where}.hash_max_size`);
  }
}

/** The datum key the native API rule names its features with (the research's `api_call`). */
export const API_CALL_KEY = 'api_call';

export interface FlagOptions {
  method?: string;
  ngram?: number | string;
  sampleWeight?: string;
  globalWeight?: string;
  /** regularization_weight C. */
  regularization?: number;
  repeated?: string;
  categories?: boolean;
  args?: boolean;
}

/**
 * The config the CLI flags describe: `--method arow --ngram 3 --sample-weight log_tf
 * --global-weight bin [--regularization C]`. Defaults: AROW, 3-grams, log_tf/bin, C = 1.
 */
export function configFromFlags(flags: FlagOptions): ClassifierConfig {
  const method = canonicalMethod(flags.method ?? 'AROW');
  const sw = checkSampleWeight(flags.sampleWeight ?? 'log_tf', 'sample-weight');
  const gw = checkGlobalWeight(flags.globalWeight ?? 'bin', 'global-weight');
  const ngram = flags.ngram ?? 3;
  const range = parseNgram(ngram, 'ngram');
  const c = flags.regularization ?? 1;
  if (!Number.isFinite(c) || !(c > 0)) throw new InputError('must be a number > 0', 'regularization');
  const config: ClassifierConfig = {
    method: method === 'logreg' ? 'logreg' : method,
    parameter: { regularization_weight: c },
    converter: {
      string_filter_types: {},
      string_filter_rules: [],
      num_filter_types: {},
      num_filter_rules: [],
      string_types: {},
      string_rules: [{ key: API_CALL_KEY, type: 'space', sample_weight: sw, global_weight: gw }],
      num_types: {},
      num_rules: [],
    },
    malgram: {
      ngram: range.min === range.max ? range.min : `${range.min}-${range.max}`,
      sample_weight: sw,
      global_weight: gw,
    },
  };
  if (flags.repeated !== undefined) config.malgram!.repeated = flags.repeated as RepeatedPolicy;
  if (flags.categories) config.malgram!.categories = true;
  if (flags.args) config.malgram!.args = true;
  return parseConfig(config, 'flags');
}

/** `regularization_weight` as Jubatus reads it: a float32, default 1 (reference §1.4). */
export function regularizationOf(config: ClassifierConfig): number {
  const c = config.parameter?.regularization_weight;
  return Math.fround(typeof c === 'number' ? c : 1);
}
