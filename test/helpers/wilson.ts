// A reference for the tests: the Wilson score interval written out independently of
// src/evaluate (Wilson 1927, JASA 22), and the `{value, lo, hi, k, n}` shape of a rate in
// malgram's JSON output.

export interface Rate {
  value: number;
  lo: number;
  hi: number;
  k: number;
  n: number;
}

/** 95% Wilson score interval for k successes out of n. */
export function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
