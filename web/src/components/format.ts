// Number formatting shared by the pages: every rate is shown with its counts and interval.
import type { Interval } from '../types';

export const pct = (x: number | undefined, digits = 2) =>
  x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`;

export function interval(iv: Interval | undefined): string {
  if (!iv) return '–';
  if (iv.n === 0) return '– (0/0)';
  return `${pct(iv.value)} [${pct(iv.lo)}–${pct(iv.hi)}] (${iv.k}/${iv.n})`;
}

/** The n-gram part of a feature name: `api_call$A_B_C@space#log_tf/bin` → `A_B_C`. */
export function ngramOf(feature: string): string {
  const start = feature.indexOf('$');
  const end = feature.lastIndexOf('@');
  return start >= 0 && end > start ? feature.slice(start + 1, end) : feature;
}
