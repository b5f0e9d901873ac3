// The Jubatus fv_converter (jubatus-reference.md §2.2): datum → feature vector, in this order:
// string filters (chained), string rules (originals, then filtered), number filters, number
// rules, weighting with the weight manager (train updates the statistics first) and zero
// pruning, combination rules on the weighted vector, then feature hashing (`hash_max_size`).
// Feature names follow §2.7: `<key>$<token>@<type>#<sw>/<gw>`, `<key>@num`, `<key>@log`,
// `<key>@str$<%g>`, `<nameA>&<nameB>/<type>`.
import type { Datum, FeatureVector } from '../core/datum.js';
import { InputError } from '../core/errors.js';
import type { ConverterConfig, GlobalWeight, SampleWeight, TypeParams } from './config.js';
import { exactLog, logTf } from './exact-log.js';
import { hashedName } from './fnv1.js';
import { formatG } from './format-g.js';
import { type KeyMatcher, ruleMatcher } from './key-matcher.js';
import { makeSplitter, type Splitter } from './splitters.js';
import { WeightManager } from './weight-manager.js';

/** The sample weight of a token that occurs `tf` times in one value. */
export function sampleWeight(sw: SampleWeight, tf: number): number {
  if (sw === 'bin') return 1;
  if (sw === 'tf') return tf;
  return logTf(tf);
}

/** The name of a string feature (§2.7). */
export function stringFeatureName(
  key: string,
  token: string,
  type: string,
  sw: SampleWeight,
  gw: GlobalWeight,
): string {
  return `${key}$${token}@${type}#${sw}/${gw}`;
}

interface CompiledStringRule {
  matches: KeyMatcher;
  type: string;
  split: Splitter;
  sw: SampleWeight;
  gw: GlobalWeight;
}
interface CompiledFilter<T> {
  matches: KeyMatcher;
  suffix: string;
  apply: (v: T) => T;
}
interface CompiledNumRule {
  matches: KeyMatcher;
  type: string;
}
interface CompiledCombination {
  left: KeyMatcher;
  right: KeyMatcher;
  type: string;
  op: (a: number, b: number) => number;
}

function types(t: Record<string, TypeParams> | undefined): Map<string, TypeParams> {
  return new Map(Object.entries(t ?? {}));
}

/** RE2/Oniguruma rewrite syntax (`\1`) to a JS replacement string (`$1`). */
function jsReplacement(rewrite: string): string {
  return rewrite.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}

function stringFilter(p: TypeParams, where: string): (v: string) => string {
  let re: RegExp;
  try {
    re = new RegExp(p.pattern ?? '', 'g');
  } catch (err) {
    throw new InputError(`invalid pattern: ${(err as Error).message}`, `${where}.pattern`);
  }
  const replacement = jsReplacement(p.replace ?? '');
  return (v) => v.replace(re, replacement);
}

function numFilter(p: TypeParams, where: string): (x: number) => number {
  const num = (k: string, dflt?: number): number => {
    const v = p[k] === undefined ? dflt : Number(p[k]);
    if (v === undefined || !Number.isFinite(v))
      throw new InputError(`"${k}" must be a number (as a string)`, `${where}.${k}`);
    return v;
  };
  switch (p.method) {
    case 'add': {
      const value = num('value');
      return (x) => x + value;
    }
    case 'linear_normalization': {
      const min = num('min');
      const max = num('max');
      if (!(max > min)) throw new InputError('max must be greater than min', `${where}.max`);
      const truncate = (p.truncate ?? 'True').toLowerCase() !== 'false';
      return (x) => {
        if (truncate && x > max) return 1;
        if (truncate && x < min) return 0;
        return (x - min) / (max - min);
      };
    }
    case 'gaussian_normalization': {
      const avg = num('average');
      const sd = num('standard_deviation');
      if (sd < 0) throw new InputError('standard_deviation must be >= 0', `${where}.standard_deviation`);
      return (x) => (x - avg) / sd;
    }
    case 'sigmoid_normalization': {
      const gain = num('gain', 1);
      const bias = num('bias', 0);
      if (gain === 0) throw new InputError('gain must not be 0', `${where}.gain`);
      return (x) => 1 / (1 + Math.exp(-gain * (x - bias)));
    }
    default:
      throw new InputError(`unsupported num filter method "${p.method}"`, `${where}.method`);
  }
}

/** Jubatus refuses a datum key containing '$' (it would break the feature name). */
export function checkKey(key: string): void {
  if (key.includes('$'))
    throw new InputError(`feature key cannot contain '$': ${JSON.stringify(key)}`, 'datum');
}

export class DatumConverter {
  private readonly stringFilters: CompiledFilter<string>[];
  private readonly stringRules: CompiledStringRule[];
  private readonly numFilters: CompiledFilter<number>[];
  private readonly numRules: CompiledNumRule[];
  private readonly combinations: CompiledCombination[];
  private readonly hashMaxSize?: number;
  /**
   * The common case, converted without the generic machinery: one built-in `space` rule with
   * global weight `bin`, no string filters, number rules or combinations (e.g. `api_call` holding
   * space-separated n-grams). Same features, values and order as the generic path.
   */
  private readonly spaceOnly: CompiledStringRule | undefined;
  /** The single `space` rule (`spaceOnly`) when feature hashing is off: what `SpaceDatumIndex` serves. */
  get plainSpaceRule(): { matches: KeyMatcher; sw: SampleWeight; gw: GlobalWeight } | undefined {
    return this.hashMaxSize === undefined ? this.spaceOnly : undefined;
  }
  /** Whether any rule uses idf/idf1/bm25, and bm25. */
  readonly countsDocuments: boolean;
  readonly usesBm25: boolean;

  /** `config` must have been validated by parseConfig. */
  constructor(config: ConverterConfig, where = 'converter') {
    const filterTypes = types(config.string_filter_types);
    this.stringFilters = (config.string_filter_rules ?? []).map((r) => ({
      matches: ruleMatcher(r.key, r.except),
      suffix: r.suffix,
      apply: stringFilter(filterTypes.get(r.type)!, `${where}.string_filter_types.${r.type}`),
    }));
    const numFilterTypes = types(config.num_filter_types);
    this.numFilters = (config.num_filter_rules ?? []).map((r) => ({
      matches: ruleMatcher(r.key, r.except),
      suffix: r.suffix,
      apply: numFilter(numFilterTypes.get(r.type)!, `${where}.num_filter_types.${r.type}`),
    }));
    const stringTypes = types(config.string_types);
    this.stringRules = (config.string_rules ?? []).map((r, i) => ({
      matches: ruleMatcher(r.key, r.except),
      type: r.type,
      split: makeSplitter(r.type, stringTypes, `${where}.string_rules[${i}].type`),
      sw: r.sample_weight,
      gw: r.global_weight,
    }));
    this.numRules = (config.num_rules ?? []).map((r) => ({
      matches: ruleMatcher(r.key, r.except),
      type: r.type,
    }));
    this.combinations = (config.combination_rules ?? []).map((r) => ({
      left: ruleMatcher(r.key_left, r.except_left),
      right: ruleMatcher(r.key_right, r.except_right),
      type: r.type,
      op: r.type === 'mul' ? (a: number, b: number) => a * b : (a: number, b: number) => a + b,
    }));
    this.hashMaxSize = config.hash_max_size;
    const only = this.stringRules.length === 1 ? this.stringRules[0] : undefined;
    this.spaceOnly =
      only?.type === 'space' &&
      only.gw === 'bin' &&
      !stringTypes.has('space') &&
      this.stringFilters.length === 0 &&
      this.numRules.length === 0 &&
      this.combinations.length === 0
        ? only
        : undefined;
    this.countsDocuments = this.stringRules.some((r) => r.gw === 'idf' || r.gw === 'idf1' || r.gw === 'bm25');
    this.usesBm25 = this.stringRules.some((r) => r.gw === 'bm25');
  }

  /** A weight manager matching this converter's rules. */
  newWeightManager(): WeightManager {
    return new WeightManager(this.countsDocuments, this.usesBm25);
  }

  /** The unweighted vector (sample weights only), in Jubatus's rule order. */
  extract(datum: Datum): FeatureVector {
    if (this.spaceOnly) return extractSpaceOnly(datum, this.spaceOnly);
    const fv: FeatureVector = [];
    // 1. string filters, chained: each rule sees the originals and earlier filters' outputs
    const filtered: Array<[string, string]> = [];
    for (const f of this.stringFilters) {
      const inputs = [...datum.stringValues, ...filtered];
      for (const [k, v] of inputs) if (f.matches(k)) filtered.push([k + f.suffix, f.apply(v)]);
    }
    // 2. string rules on the originals, then the filtered values
    const strings = filtered.length > 0 ? [...datum.stringValues, ...filtered] : datum.stringValues;
    for (const [key, value] of strings) {
      for (const rule of this.stringRules) {
        if (!rule.matches(key)) continue;
        checkKey(key);
        const counts = new Map<string, number>();
        rule.split(value, (t) => counts.set(t, (counts.get(t) ?? 0) + 1));
        for (const [token, tf] of counts) {
          const sw = sampleWeight(rule.sw, tf);
          fv.push([stringFeatureName(key, token, rule.type, rule.sw, rule.gw), sw]);
        }
      }
    }
    // 3. number filters (chained), then number rules on originals and filtered values
    const numFiltered: Array<[string, number]> = [];
    for (const f of this.numFilters) {
      const inputs = [...datum.numValues, ...numFiltered];
      for (const [k, v] of inputs) if (f.matches(k)) numFiltered.push([k + f.suffix, f.apply(v)]);
    }
    const nums = numFiltered.length > 0 ? [...datum.numValues, ...numFiltered] : datum.numValues;
    for (const [key, x] of nums) {
      for (const rule of this.numRules) {
        if (!rule.matches(key)) continue;
        checkKey(key);
        if (rule.type === 'num') fv.push([`${key}@num`, x]);
        else if (rule.type === 'log') fv.push([`${key}@log`, exactLog(Math.max(1, x))]);
        else fv.push([`${key}@str$${formatG(x)}`, 1]);
      }
    }
    return fv;
  }

  /**
   * Converts a datum. With `update` (train) the weight manager counts this document first
   * (§2.6); classify passes false and the statistics are only read.
   */
  convert(datum: Datum, weights: WeightManager, update: boolean): FeatureVector {
    const raw = this.extract(datum);
    if (update) weights.update(raw);
    // global weight bin: every value stays its sample weight (≥ 1 or ln 2, never 0)
    return this.finish(this.spaceOnly ? raw : weights.apply(raw));
  }

  /** Combination rules and hashing on an already weighted vector (steps 6–7). */
  finish(weighted: FeatureVector): FeatureVector {
    let fv = weighted;
    if (this.combinations.length > 0 && fv.length >= 2) {
      const base = fv;
      fv = [...base];
      for (const c of this.combinations) {
        for (let i = 0; i < base.length; i++) {
          for (let j = i + 1; j < base.length; j++) {
            const [a, va] = base[i];
            const [b, vb] = base[j];
            if ((c.left(a) && c.right(b)) || (c.right(a) && c.left(b)))
              fv.push([`${a}&${b}/${c.type}`, c.op(va, vb)]);
          }
        }
      }
    }
    if (this.hashMaxSize !== undefined) {
      const size = this.hashMaxSize;
      fv = fv.map(([name, v]) => [hashedName(name, size), v]);
    }
    return fv;
  }
}

/** Whitespace of the `space` type: " \t\n\v\f\r". */
export function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** `extract` for a single `space` rule (see `spaceOnly`): tokens counted per value, first-occurrence order. */
function extractSpaceOnly(datum: Datum, rule: CompiledStringRule): FeatureVector {
  const fv: FeatureVector = [];
  const suffix = `@space#${rule.sw}/${rule.gw}`;
  for (const [key, value] of datum.stringValues) {
    if (!rule.matches(key)) continue;
    checkKey(key);
    const counts = new Map<string, number>();
    const end = value.length;
    let i = 0;
    while (i < end) {
      while (i < end && isSpace(value.charCodeAt(i))) i++;
      const start = i;
      while (i < end && !isSpace(value.charCodeAt(i))) i++;
      if (i > start) {
        const token = value.slice(start, i);
        counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    const prefix = `${key}$`;
    for (const [token, tf] of counts) fv.push([prefix + token + suffix, sampleWeight(rule.sw, tf)]);
  }
  return fv;
}

/** Byte-order comparison of two names (UTF-16 code-unit order; equal to UTF-8 byte order below U+D800). */
function byName(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Jubatus `sort_and_merge`: sorted by name, duplicate names summed (what `train` sees). */
export function sortAndMerge(fv: FeatureVector): FeatureVector {
  const sorted = [...fv].sort(byName);
  const out: FeatureVector = [];
  for (const [name, v] of sorted) {
    const last = out[out.length - 1];
    if (last && last[0] === name) last[1] += v;
    else out.push([name, v]);
  }
  return out;
}
