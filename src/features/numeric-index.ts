// An open-addressing hash map from non-negative integer keys (< 2^53, held as doubles) to int32
// values, with the 32-bit hash supplied by the caller (the n-gram hot path computes it from the
// API ids with integer arithmetic while it builds the key). Linear probing, load factor ≤ 0.5;
// the hashes are stored so the table can grow or be renumbered without recomputing them.
// The hot path probes `keys`/`values`/`mask` inline; `find` is the same probe as a method;
// `get`/`set` without a hash use `hashKey`.
export const EMPTY = -1;

export class NumericIndex {
  keys: Float64Array;
  values: Int32Array;
  private hashes: Int32Array;
  mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** A hash of the key itself, for callers that do not compute one. */
  static hashKey(key: number): number {
    const lo = key | 0;
    const hi = (key / 4294967296) | 0;
    const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    return h ^ (h >>> 13);
  }

  /** The value of `key`, or -1. */
  get(key: number): number {
    return this.find(key, NumericIndex.hashKey(key));
  }

  /** The value of `key` (whose hash is `hash`), or -1. */
  find(key: number, hash: number): number {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const v = values[i];
      if (v === EMPTY || keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  /** Sets `key` → `value`; `hash` must be the one the key is probed with (default: hashKey). */
  set(key: number, value: number, hash = NumericIndex.hashKey(key)): void {
    if ((this.size + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    let i = hash & this.mask;
    while (this.values[i] !== EMPTY && this.keys[i] !== key) i = (i + 1) & this.mask;
    if (this.values[i] === EMPTY) this.size++;
    this.keys[i] = key;
    this.values[i] = value;
    this.hashes[i] = hash;
  }

  private rebuild(cap: number, map?: Int32Array): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldHashes = this.hashes;
    this.keys = new Float64Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const v = oldValues[i];
      if (v === EMPTY) continue;
      const nv = map ? map[v] : v;
      if (nv !== EMPTY) this.set(oldKeys[i], nv, oldHashes[i]);
    }
  }

  private resize(cap: number): void {
    this.rebuild(cap);
  }

  /** Replaces every value v by map[v]; entries mapped to -1 are dropped. */
  remap(map: Int32Array): void {
    this.rebuild(this.keys.length, map);
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.size = 0;
  }
}
