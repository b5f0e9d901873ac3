// Classifying Jubatus datums fast (the MessagePack-RPC endpoint) in the common case: the
// converter has one built-in `space` rule with global weight `bin` and no hashing (e.g.
// `api_call` holding space-separated n-grams). Instead of building every feature name
// `<key>$<token>@space#<sw>/bin` and looking it up in the dictionary, tokens are looked up in a
// cache token → feature index (per datum key), filled from the dictionary on first sight and
// dropped whenever the dictionary changes. The vector is the one `DatumConverter.convert` +
// the dictionary give: per string value, distinct tokens in first-occurrence order with their
// sample weight, features unknown to the model left out.
import type { Datum } from '../core/datum.js';
import type { GlobalWeight, SampleWeight } from './config.js';
import { checkKey, isSpace, sampleWeight, stringFeatureName } from './converter.js';
import type { FeatureDictionary } from './dictionary.js';
import type { KeyMatcher } from './key-matcher.js';
import { pushEntry, type SparseVector } from './sparse-vector.js';

/** Bounds of the cache (tokens come from clients): entries and total token characters. */
const MAX_ENTRIES = 1 << 18;
const MAX_CHARS = 1 << 24;

interface TokenEntry {
  /** Feature index, -1 when the model does not know the feature. */
  feature: number;
  /** Occurrences in the current value, valid when `stamp` is the current value's. */
  tf: number;
  stamp: number;
}

export class SpaceDatumIndex {
  private readonly byKey = new Map<string, Map<string, TokenEntry>>();
  private entries = 0;
  private chars = 0;
  private atVersion = -1;
  private stamp = 0;
  private readonly order: TokenEntry[] = [];

  constructor(
    private readonly rule: { matches: KeyMatcher; sw: SampleWeight; gw: GlobalWeight },
    private readonly dictionary: FeatureDictionary,
  ) {}

  /** Fills `x` with the known features of `datum`; returns whether the datum had no token at all. */
  vector(datum: Datum, x: SparseVector): boolean {
    x.length = 0;
    if (this.atVersion !== this.dictionary.version || this.entries > MAX_ENTRIES || this.chars > MAX_CHARS) {
      this.byKey.clear();
      this.entries = 0;
      this.chars = 0;
      this.atVersion = this.dictionary.version;
    }
    const { sw, gw } = this.rule;
    let empty = true;
    for (const [key, value] of datum.stringValues) {
      if (!this.rule.matches(key)) continue;
      checkKey(key);
      let cache = this.byKey.get(key);
      if (cache === undefined) {
        cache = new Map();
        this.byKey.set(key, cache);
      }
      const stamp = ++this.stamp;
      const order = this.order;
      order.length = 0;
      const end = value.length;
      let i = 0;
      while (i < end) {
        while (i < end && isSpace(value.charCodeAt(i))) i++;
        const start = i;
        while (i < end && !isSpace(value.charCodeAt(i))) i++;
        if (i === start) continue;
        const token = value.slice(start, i);
        let e = cache.get(token);
        if (e === undefined) {
          const name = stringFeatureName(key, token, 'space', sw, gw);
          e = { feature: this.dictionary.get(name) ?? -1, tf: 0, stamp: 0 };
          cache.set(token, e);
          this.entries++;
          this.chars += token.length;
        }
        if (e.stamp !== stamp) {
          e.stamp = stamp;
          e.tf = 0;
          order.push(e);
        }
        e.tf++;
      }
      if (order.length > 0) empty = false;
      for (const e of order) if (e.feature >= 0) pushEntry(x, e.feature, sampleWeight(sw, e.tf));
    }
    return empty;
  }
}
