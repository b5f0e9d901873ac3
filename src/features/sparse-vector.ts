// A converted sample as the learners see it: feature indices (into the model's dictionary) and
// values, `length` entries used. Buffers are reused between samples on the hot path.
export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
  length: number;
}

export function sparseVector(capacity = 256): SparseVector {
  return { idx: new Int32Array(capacity), val: new Float64Array(capacity), length: 0 };
}

/** Makes room for `extra` more entries (grown by doubling, contents kept). */
export function reserve(x: SparseVector, extra: number): void {
  const needed = x.length + extra;
  if (needed <= x.idx.length) return;
  let cap = Math.max(16, x.idx.length);
  while (cap < needed) cap *= 2;
  const idx = new Int32Array(cap);
  idx.set(x.idx);
  const val = new Float64Array(cap);
  val.set(x.val);
  x.idx = idx;
  x.val = val;
}

/** Appends one entry, growing the buffers when needed. */
export function pushEntry(x: SparseVector, index: number, value: number): void {
  if (x.length === x.idx.length) reserve(x, 1);
  x.idx[x.length] = index;
  x.val[x.length] = value;
  x.length++;
}

/** Σ x_f² in entry order. */
export function squaredNorm(x: SparseVector): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x.val[k] * x.val[k];
  return s;
}
