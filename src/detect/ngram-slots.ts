// Numeric n-gram key (< 2^53, held as a double) → int32 slot: open addressing with linear
// probing, load ≤ 0.5, no deletion (cleared whole). The scorer's hot-path lookup: unlike a Map
// with non-SMI number keys it allocates nothing per lookup.
const EMPTY = -1;

export class NgramSlots {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  private static hash(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** The slot of `key`, or -1 when absent. */
  get(key: number): number {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = NgramSlots.hash(key) & mask;
    for (;;) {
      const v = values[i];
      if (v === EMPTY || keys[i] === key) return v;
      i = (i + 1) & mask;
    }
  }

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    let i = NgramSlots.hash(key) & this.mask;
    while (this.values[i] !== EMPTY && this.keys[i] !== key) i = (i + 1) & this.mask;
    if (this.values[i] === EMPTY) this.size++;
    this.keys[i] = key;
    this.values[i] = value;
  }

  private resize(cap: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(cap);
    this.values = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldValues[i] !== EMPTY) this.set(oldKeys[i], oldValues[i]);
  }
}
