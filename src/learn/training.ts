// Feeding samples to an online model: the order (an online learner ends where its last samples
// pushed it — MalbehavD-V1 in file order, all benign then all malware, leaves Jubatus at 67%
// accuracy instead of 93%), passes, and the check that warns when the input is sorted by label.
import { seededRandom, shuffleInPlace } from '../core/random.js';
import type { Trace } from '../core/trace.js';
import type { OnlineModel } from './model.js';

export type TrainOrder = 'shuffle' | 'file' | 'interleave';
export const TRAIN_ORDERS: readonly TrainOrder[] = ['shuffle', 'file', 'interleave'];

/** The samples in training order: `file` as given, `shuffle` (Fisher–Yates, seeded), `interleave` round-robin over labels. */
export function orderSamples<T>(
  items: readonly T[],
  labelOf: (t: T) => string,
  order: TrainOrder,
  seed: number,
): T[] {
  if (order === 'file') return [...items];
  if (order === 'shuffle') return shuffleInPlace([...items], seededRandom(seed));
  const queues = new Map<string, T[]>();
  for (const t of items) {
    const l = labelOf(t);
    let q = queues.get(l);
    if (!q) {
      q = [];
      queues.set(l, q);
    }
    q.push(t);
  }
  const out: T[] = [];
  const lists = [...queues.values()];
  for (let i = 0; out.length < items.length; i++) for (const q of lists) if (i < q.length) out.push(q[i]);
  return out;
}

/** True when there are several labels and each label's samples form one contiguous block. */
export function sortedByLabel(labels: readonly string[]): boolean {
  const seen = new Set<string>();
  let prev: string | undefined;
  for (const l of labels) {
    if (l !== prev) {
      if (seen.has(l)) return false;
      seen.add(l);
      prev = l;
    }
  }
  return seen.size > 1;
}

export interface TrainOptions {
  order: TrainOrder;
  seed: number;
  passes: number;
  onSample?: () => void;
}

export interface TrainResult {
  trained: number;
  /** Samples without a label, left out. */
  unlabelled: number;
  /** The input (in file order) was sorted by label. */
  sortedInput: boolean;
}

/** Trains `model` on labelled traces held in memory. */
export function trainOnTraces(model: OnlineModel, traces: readonly Trace[], opts: TrainOptions): TrainResult {
  const labelled = traces.filter((t) => t.label !== undefined && t.label !== '');
  const result: TrainResult = {
    trained: 0,
    unlabelled: traces.length - labelled.length,
    sortedInput: sortedByLabel(labelled.map((t) => t.label!)),
  };
  for (let pass = 0; pass < opts.passes; pass++) {
    const ordered = orderSamples(labelled, (t) => t.label!, opts.order, opts.seed + pass);
    for (const t of ordered) {
      model.train(t, t.label!);
      result.trained++;
      opts.onSample?.();
    }
  }
  return result;
}
