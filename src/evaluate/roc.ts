// ROC curve and AUC for scores where higher means "more positive".
// Ties: samples with equal scores enter the curve together (one diagonal segment), so the AUC
// equals the Mann-Whitney U statistic with ties counted as ½ (Fawcett, "An introduction to ROC
// analysis", Pattern Recognition Letters 27, 2006, Algorithm 2).
// AUC interval: Hanley & McNeil, Radiology 143, 1982 (standard error from Q1 = A/(2−A),
// Q2 = 2A²/(1+A)), normal approximation, clipped to [0, 1].
import { zForConfidence } from './distributions.js';

export interface ScoredSample {
  positive: boolean;
  score: number;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** Samples with score ≥ threshold are flagged at this point (+Infinity for the origin). */
  threshold: number;
}

export interface Roc {
  points: RocPoint[];
  auc: number;
  positives: number;
  negatives: number;
}

/** The ROC curve, one point per distinct score, and its area. */
export function rocCurve(samples: ScoredSample[]): Roc {
  const sorted = [...samples].sort((a, b) => b.score - a.score);
  const positives = sorted.filter((s) => s.positive).length;
  const negatives = sorted.length - positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.POSITIVE_INFINITY }];
  let tp = 0;
  let fp = 0;
  let area = 0;
  let i = 0;
  while (i < sorted.length) {
    const score = sorted[i].score;
    const tp0 = tp;
    const fp0 = fp;
    while (i < sorted.length && sorted[i].score === score) {
      if (sorted[i].positive) tp++;
      else fp++;
      i++;
    }
    area += ((fp - fp0) * (tp + tp0)) / 2;
    points.push({
      fpr: negatives ? fp / negatives : 0,
      tpr: positives ? tp / positives : 0,
      threshold: score,
    });
  }
  const auc = positives && negatives ? area / (positives * negatives) : Number.NaN;
  return { points, auc, positives, negatives };
}

/** Hanley-McNeil interval for an AUC from `positives` and `negatives` samples. */
export function aucInterval(
  auc: number,
  positives: number,
  negatives: number,
  confidence = 0.95,
): [number, number] {
  if (!(positives > 0 && negatives > 0) || Number.isNaN(auc)) return [0, 1];
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  const half = zForConfidence(confidence) * Math.sqrt(Math.max(0, variance));
  return [Math.max(0, auc - half), Math.min(1, auc + half)];
}

/** At most `max` points of the curve (evenly spaced along it, ends kept), for output and charts. */
export function thinRoc(points: RocPoint[], max = 200): RocPoint[] {
  if (points.length <= max) return points;
  const out: RocPoint[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let j = 0; j < max; j++) out.push(points[Math.round(j * step)]);
  return out;
}

/**
 * The lowest threshold whose FPR on these (training) scores is ≤ targetFpr: flagging means
 * score > threshold. Returns the threshold and the FPR it had on the scores it was chosen from.
 */
export function thresholdForFpr(
  samples: ScoredSample[],
  targetFpr: number,
): { threshold: number; fpr: number } {
  const negatives = samples
    .filter((s) => !s.positive)
    .map((s) => s.score)
    .sort((a, b) => b - a);
  if (negatives.length === 0) return { threshold: Number.NEGATIVE_INFINITY, fpr: 0 };
  const allowed = Math.floor(targetFpr * negatives.length);
  // flagging score > negatives[allowed] flags at most `allowed` negatives (fewer on ties)
  const threshold = allowed >= negatives.length ? Number.NEGATIVE_INFINITY : negatives[allowed];
  const flagged = negatives.filter((s) => s > threshold).length;
  return { threshold, fpr: flagged / negatives.length };
}
