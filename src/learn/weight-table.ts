// The weight table (jubatus-reference.md §1.1) stored by column: one set of typed arrays per
// label, indexed by feature index. A cell (f, L) holds v1 = weight (μ), v2 = covariance (σ);
// `has` records which cells exist (Jubatus keeps cells that return to 0, and an absent cell reads
// as (0, 1) for the covariance methods, so existence is state of its own). v3 is always 0 in
// Jubatus and is not stored. Labels are kept in registration order: the classify result order.
export interface LabelColumn {
  readonly name: string;
  w: Float64Array;
  cov: Float64Array;
  has: Uint8Array;
  /** Extra per-cell state for methods that need it (FTRL's z). */
  aux?: Float64Array;
}

export class WeightTable {
  readonly labels: LabelColumn[] = [];
  private readonly byName = new Map<string, LabelColumn>();
  private capacity = 1024;

  /**
   * @param covInit what an absent covariance cell reads as (1 for CW/AROW/NHERD)
   * @param withAux whether columns carry the extra `aux` array
   */
  constructor(
    readonly covInit: number,
    readonly withAux = false,
  ) {}

  get(label: string): LabelColumn | undefined {
    return this.byName.get(label);
  }

  /** Registers a label (idempotent); returns its column. */
  register(label: string): LabelColumn {
    let col = this.byName.get(label);
    if (col) return col;
    col = {
      name: label,
      w: new Float64Array(this.capacity),
      cov: new Float64Array(this.capacity),
      has: new Uint8Array(this.capacity),
    };
    if (this.covInit !== 0) col.cov.fill(this.covInit);
    if (this.withAux) col.aux = new Float64Array(this.capacity);
    this.labels.push(col);
    this.byName.set(label, col);
    return col;
  }

  delete(label: string): boolean {
    const col = this.byName.get(label);
    if (!col) return false;
    this.byName.delete(label);
    this.labels.splice(this.labels.indexOf(col), 1);
    return true;
  }

  clear(): void {
    this.labels.length = 0;
    this.byName.clear();
  }

  /** Makes room for feature indices < n. */
  ensureFeatures(n: number): void {
    if (n <= this.capacity) return;
    let cap = this.capacity;
    while (cap < n) cap *= 2;
    for (const col of this.labels) {
      col.w = grow(col.w, cap, 0);
      col.cov = grow(col.cov, cap, this.covInit);
      col.has = growBytes(col.has, cap);
      if (col.aux) col.aux = grow(col.aux, cap, 0);
    }
    this.capacity = cap;
  }

  /** Keeps only the features listed in `keep` (old indices, ascending), renumbered 0.. in that order. */
  compact(keep: Int32Array): void {
    for (const col of this.labels) {
      for (let k = 0; k < keep.length; k++) {
        const f = keep[k];
        col.w[k] = col.w[f];
        col.cov[k] = col.cov[f];
        col.has[k] = col.has[f];
        if (col.aux) col.aux[k] = col.aux[f];
      }
      col.w.fill(0, keep.length);
      col.cov.fill(this.covInit, keep.length);
      col.has.fill(0, keep.length);
      col.aux?.fill(0, keep.length);
    }
  }

  /** Inner product of x with the weights of `col`, summed in entry order. */
  static score(col: LabelColumn, idx: Int32Array, val: Float64Array, length: number): number {
    const w = col.w;
    let s = 0;
    for (let k = 0; k < length; k++) s += val[k] * w[idx[k]];
    return s;
  }
}

function grow(a: Float64Array, cap: number, init: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  if (init !== 0) b.fill(init, a.length);
  return b;
}
function growBytes(a: Uint8Array, cap: number): Uint8Array {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}
