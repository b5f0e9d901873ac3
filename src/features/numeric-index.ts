// An open-addressing hash map from integer keys (|key| < 2^53, held as doubles) to int32 values,
// with the 32-bit hash supplied by the caller (the n-gram hot path computes it from the API ids
// with integer arithmetic while it builds the key). Linear probing, load factor ≤ 0.5; the hashes
// are stored so the table can grow or be renumbered without recomputing them.
//
// Layout: one 16-byte cell per slot in a single buffer — the key (float64 at `keys[2·slot]`), the
// value (int32 at `cells[4·slot + 2]`) and a scratch int (int32 at `cells[4·slot + 3]`, 0 when
// the entry is created, moved with it when the table grows; the n-gram extractor keeps its
// per-trace marks there) — so a probe touches one cache line. The hot path probes
// `keys`/`cells`/`mask` inline; `find`/`slotOf` are the same probe as methods.
export const EMPTY = -1;

export class NumericIndex {
  keys: Float64Array;
  cells: Int32Array;
  private hashes: Int32Array;
  mask: number;
  size = 0;
  private readonly initialCapacity: number;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.initialCapacity = cap;
    [this.keys, this.cells] = NumericIndex.allocate(cap);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private static allocate(cap: number): [Float64Array, Int32Array] {
    const buffer = new ArrayBuffer(cap * 16);
    // every int EMPTY: the values mark free slots; keys and scratch of a free slot are never read
    // (set writes both when it takes the slot)
    const cells = new Int32Array(buffer).fill(EMPTY);
    return [new Float64Array(buffer), cells];
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
    const slot = this.slotOf(key, hash);
    return slot < 0 ? EMPTY : this.cells[4 * slot + 2];
  }

  /** The slot holding `key` (whose hash is `hash`), or -1. */
  slotOf(key: number, hash: number): number {
    const keys = this.keys;
    const cells = this.cells;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      if (cells[4 * i + 2] === EMPTY) return -1;
      if (keys[2 * i] === key) return i;
      i = (i + 1) & mask;
    }
  }

  /** Sets `key` → `value`; `hash` must be the one the key is probed with (default: hashKey). Returns the slot. */
  set(key: number, value: number, hash = NumericIndex.hashKey(key)): number {
    if ((this.size + 1) * 2 > this.hashes.length) this.rebuild(this.hashes.length * 2);
    const cells = this.cells;
    let i = hash & this.mask;
    while (cells[4 * i + 2] !== EMPTY && this.keys[2 * i] !== key) i = (i + 1) & this.mask;
    if (cells[4 * i + 2] === EMPTY) {
      this.size++;
      cells[4 * i + 3] = 0;
    }
    this.keys[2 * i] = key;
    cells[4 * i + 2] = value;
    this.hashes[i] = hash;
    return i;
  }

  private rebuild(cap: number, map?: Int32Array): void {
    const oldKeys = this.keys;
    const oldCells = this.cells;
    const oldHashes = this.hashes;
    const oldCap = oldHashes.length;
    [this.keys, this.cells] = NumericIndex.allocate(cap);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldCap; i++) {
      const v = oldCells[4 * i + 2];
      if (v === EMPTY) continue;
      const nv = map ? map[v] : v;
      if (nv === EMPTY) continue;
      const slot = this.set(oldKeys[2 * i], nv, oldHashes[i]);
      this.cells[4 * slot + 3] = oldCells[4 * i + 3];
    }
  }

  /** Replaces every value v by map[v]; entries mapped to -1 are dropped. */
  remap(map: Int32Array): void {
    this.rebuild(this.hashes.length, map);
  }

  /** Sets every entry's scratch int to 0. */
  clearScratch(): void {
    for (let s = 0; s < this.hashes.length; s++) this.cells[4 * s + 3] = 0;
  }

  /** Removes every entry (and gives the memory back: the table restarts at its initial capacity). */
  clear(): void {
    if (this.size === 0) return;
    [this.keys, this.cells] = NumericIndex.allocate(this.initialCapacity);
    this.hashes = new Int32Array(this.initialCapacity);
    this.mask = this.initialCapacity - 1;
    this.size = 0;
  }
}
