// What lab rates mean in deployment (the base-rate fallacy: Axelsson, "The base-rate fallacy and
// the difficulty of intrusion detection", ACM TISSEC 3(3), 2000). With prevalence π (malware
// share) and V samples a day:
//   precision = TPR·π / (TPR·π + FPR·(1−π));   false alarms/day = FPR·(1−π)·V;
//   detections/day = TPR·π·V;                   missed/day = (1−TPR)·π·V.
// Each figure is monotone in TPR and FPR, so its interval comes from the matching ends of the
// TPR and FPR intervals (conservative: both ends at once cover at least the joint ~90% region).
import type { Proportion } from './intervals.js';

export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

export interface DeploymentView {
  prevalence: number;
  volume_per_day: number;
  /** Share of alarms that are malware. */
  precision: Estimate;
  false_alarms_per_day: Estimate;
  detections_per_day: Estimate;
  missed_per_day: Estimate;
}

const precisionOf = (tpr: number, fpr: number, pi: number): number => {
  const flagged = tpr * pi + fpr * (1 - pi);
  return flagged === 0 ? 0 : (tpr * pi) / flagged;
};

export function deploymentView(
  tpr: Proportion,
  fpr: Proportion,
  prevalence: number,
  volume: number,
): DeploymentView {
  const pi = prevalence;
  const malware = pi * volume;
  const benign = (1 - pi) * volume;
  return {
    prevalence,
    volume_per_day: volume,
    precision: {
      value: precisionOf(tpr.value, fpr.value, pi),
      lo: precisionOf(tpr.lo, fpr.hi, pi),
      hi: precisionOf(tpr.hi, fpr.lo, pi),
    },
    false_alarms_per_day: { value: fpr.value * benign, lo: fpr.lo * benign, hi: fpr.hi * benign },
    detections_per_day: { value: tpr.value * malware, lo: tpr.lo * malware, hi: tpr.hi * malware },
    missed_per_day: {
      value: (1 - tpr.value) * malware,
      lo: (1 - tpr.hi) * malware,
      hi: (1 - tpr.lo) * malware,
    },
  };
}
