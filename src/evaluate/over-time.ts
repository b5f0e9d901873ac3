// Performance over time (TESSERACT: Pendlebury, Pierazzi, Jordaney, Kinder & Cavallaro,
// "TESSERACT: Eliminating Experimental Bias in Malware Classification across Space and Time",
// USENIX Security 2019). Test samples are grouped by period of their analysis time; each period
// gets its rates; AUT(f, N) = 1/(N−1) · Σ_{k=1}^{N−1} (f(k) + f(k+1))/2 summarises how a metric f
// (F1 of the positive class, as in the paper) holds up over the N periods (1 = never ages).
import { InputError } from '../core/errors.js';
import { type IntervalMethod, type Proportion, proportion } from './intervals.js';
import type { Outcome } from './metrics.js';

export const periodUnits = ['day', 'month', 'quarter', 'year'] as const;
export type PeriodUnit = (typeof periodUnits)[number];

export interface PeriodMetrics {
  period: string;
  n: number;
  tpr: Proportion;
  fpr: Proportion;
  /** F1 of the positive label (0 when undefined). */
  f1: number;
}

export interface OverTime {
  unit: PeriodUnit;
  periods: PeriodMetrics[];
  /** AUT of the positive-class F1; null with fewer than two periods. */
  aut_f1: number | null;
  aut_tpr: number | null;
}

/** The period an ISO time falls in, in UTC: `2026-01-31`, `2026-01`, `2026-Q1`, `2026`. */
export function periodOf(iso: string, unit: PeriodUnit): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InputError(`not a valid time: ${JSON.stringify(iso)}`, 'time');
  const d = new Date(ms).toISOString();
  if (unit === 'day') return d.slice(0, 10);
  if (unit === 'month') return d.slice(0, 7);
  if (unit === 'year') return d.slice(0, 4);
  return `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`;
}

/** Area under time of a metric series, trapezoid rule normalised to [0, 1]. */
export function aut(values: number[]): number | null {
  if (values.length < 2) return null;
  let s = 0;
  for (let k = 0; k + 1 < values.length; k++) s += (values[k] + values[k + 1]) / 2;
  return s / (values.length - 1);
}

export function overTime(
  outcomes: Array<Outcome & { time: string }>,
  positive: string,
  unit: PeriodUnit,
  ci: IntervalMethod = 'wilson',
): OverTime {
  const byPeriod = new Map<string, Array<Outcome & { time: string }>>();
  for (const o of outcomes) {
    const p = periodOf(o.time, unit);
    const list = byPeriod.get(p);
    if (list) list.push(o);
    else byPeriod.set(p, [o]);
  }
  const periods: PeriodMetrics[] = [...byPeriod.keys()].sort().map((period) => {
    const list = byPeriod.get(period) ?? [];
    let tp = 0;
    let fp = 0;
    let pos = 0;
    let neg = 0;
    for (const o of list) {
      const flagged = o.predicted === positive;
      if (o.actual === positive) {
        pos++;
        if (flagged) tp++;
      } else {
        neg++;
        if (flagged) fp++;
      }
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = pos === 0 ? 0 : tp / pos;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { period, n: list.length, tpr: proportion(tp, pos, ci), fpr: proportion(fp, neg, ci), f1 };
  });
  return {
    unit,
    periods,
    aut_f1: aut(periods.map((p) => p.f1)),
    aut_tpr: aut(periods.filter((p) => p.tpr.n > 0).map((p) => p.tpr.value)),
  };
}
