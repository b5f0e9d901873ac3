// How much one online pass depends on the order of the training samples (`eval --orders K`).
// The same split is trained K times, each in another seeded random order, and every order's test
// accuracy, TPR and FPR is kept with its counts and interval; the spread (min, mean, max of the
// point estimates) shows what a single run's figure would have been with another shuffle. The
// spread is not a confidence interval: the test samples are the same in every order.
import type { IntervalMethod, Proportion } from './intervals.js';
import { accuracyOf, binaryRates, type Outcome } from './metrics.js';

export interface RateSpread {
  min: number;
  mean: number;
  max: number;
  /** One per order, in the order of `order_seeds`. */
  values: Proportion[];
}

export interface OrderSpread {
  orders: number;
  /** The seed of each order's shuffle (the run's own order first). */
  order_seeds: number[];
  accuracy: RateSpread;
  tpr: RateSpread;
  fpr: RateSpread;
}

function spread(values: Proportion[]): RateSpread {
  const xs = values.map((p) => p.value);
  return {
    min: Math.min(...xs),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    max: Math.max(...xs),
    values,
  };
}

/** `perOrder[j]`: the pooled test outcomes of the model trained in order `seeds[j]`. */
export function orderSpread(
  perOrder: Outcome[][],
  seeds: number[],
  positive: string,
  ci: IntervalMethod,
): OrderSpread {
  const accuracy = perOrder.map((outcomes) => accuracyOf(outcomes, ci));
  const rates = perOrder.map((outcomes) => binaryRates(outcomes, positive, ci));
  return {
    orders: perOrder.length,
    order_seeds: seeds,
    accuracy: spread(accuracy),
    tpr: spread(rates.map((r) => r.tpr)),
    fpr: spread(rates.map((r) => r.fpr)),
  };
}
