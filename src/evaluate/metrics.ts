// Classification metrics over test outcomes: accuracy, confusion matrix, per-label
// precision / recall / F1 / support, macro-F1, and TPR / FPR of the positive label, every
// proportion with its counts and confidence interval. Definitions: Sokolova & Lapalme, "A
// systematic analysis of performance measures for classification tasks", IPM 45(4), 2009.
import { type IntervalMethod, type Proportion, proportion } from './intervals.js';

/** One classified test sample. */
export interface Outcome {
  actual: string;
  /** null when the model knows no label. */
  predicted: string | null;
}

export interface LabelMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ConfusionMatrix {
  /** Row and column order. */
  labels: string[];
  /** rows = actual label, columns = predicted label; a last column counts "no prediction" when any. */
  matrix: number[][];
  unpredicted: number[];
}

export interface ClassificationMetrics {
  n: number;
  accuracy: Proportion;
  macroF1: number;
  perLabel: Map<string, LabelMetrics>;
  confusion: ConfusionMatrix;
}

export interface BinaryRates {
  positive: string;
  tpr: Proportion;
  fpr: Proportion;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Metrics over `labels` (the row/column order; outcomes with other labels are counted too). */
export function classificationMetrics(
  outcomes: Outcome[],
  labels: string[],
  ci: IntervalMethod = 'wilson',
): ClassificationMetrics {
  const all = [...labels];
  const index = new Map(all.map((l, i) => [l, i]));
  const indexOf = (l: string): number => {
    let i = index.get(l);
    if (i === undefined) {
      i = all.length;
      all.push(l);
      index.set(l, i);
    }
    return i;
  };
  for (const o of outcomes) {
    indexOf(o.actual);
    if (o.predicted !== null) indexOf(o.predicted);
  }
  const matrix = all.map(() => new Array<number>(all.length).fill(0));
  const unpredicted = new Array<number>(all.length).fill(0);
  let correct = 0;
  for (const o of outcomes) {
    const a = indexOf(o.actual);
    if (o.predicted === null) unpredicted[a]++;
    else matrix[a][indexOf(o.predicted)]++;
    if (o.predicted === o.actual) correct++;
  }
  const perLabel = new Map<string, LabelMetrics>();
  all.forEach((label, i) => {
    const tp = matrix[i][i];
    const support = matrix[i].reduce((s, x) => s + x, 0) + unpredicted[i];
    const predicted = matrix.reduce((s, row) => s + row[i], 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    perLabel.set(label, {
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support,
    });
  });
  const withSupport = [...perLabel.values()].filter((m) => m.support > 0);
  return {
    n: outcomes.length,
    accuracy: proportion(correct, outcomes.length, ci),
    macroF1: ratio(
      withSupport.reduce((s, m) => s + m.f1, 0),
      withSupport.length,
    ),
    perLabel,
    confusion: { labels: all, matrix, unpredicted },
  };
}

/** Share of outcomes predicted right, with its counts and interval. */
export function accuracyOf(outcomes: Outcome[], ci: IntervalMethod = 'wilson'): Proportion {
  let correct = 0;
  for (const o of outcomes) if (o.predicted === o.actual) correct++;
  return proportion(correct, outcomes.length, ci);
}

/** TPR = share of positives predicted positive; FPR = share of the others predicted positive. */
export function binaryRates(
  outcomes: Outcome[],
  positive: string,
  ci: IntervalMethod = 'wilson',
): BinaryRates {
  let tp = 0;
  let pos = 0;
  let fp = 0;
  let neg = 0;
  for (const o of outcomes) {
    if (o.actual === positive) {
      pos++;
      if (o.predicted === positive) tp++;
    } else {
      neg++;
      if (o.predicted === positive) fp++;
    }
  }
  return { positive, tpr: proportion(tp, pos, ci), fpr: proportion(fp, neg, ci) };
}

/** TPR/FPR when "positive" means score > threshold (for thresholds picked to meet a target FPR). */
export function ratesAtThreshold(
  scored: Array<{ positive: boolean; score: number }>,
  threshold: number,
  ci: IntervalMethod = 'wilson',
): { tpr: Proportion; fpr: Proportion } {
  let tp = 0;
  let pos = 0;
  let fp = 0;
  let neg = 0;
  for (const s of scored) {
    const flagged = s.score > threshold;
    if (s.positive) {
      pos++;
      if (flagged) tp++;
    } else {
      neg++;
      if (flagged) fp++;
    }
  }
  return { tpr: proportion(tp, pos, ci), fpr: proportion(fp, neg, ci) };
}
