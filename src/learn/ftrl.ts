// Online logistic regression with FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View
// from the Trenches", KDD 2013, Algorithm 1), the modern baseline (`--method logreg`/`ftrl`).
// Multi-class is one-vs-rest: each label L has its own model p_L = σ(w_L·x) trained on target
// [y = L]; scores are the raw margins w_L·x (like the other methods). Per coordinate i with
// gradient g_i = (p − t)·x_i:
//   σ_i = (sqrt(n_i + g_i²) − sqrt(n_i)) / α;  z_i += g_i − σ_i·w_i;  n_i += g_i²
//   w_i = 0 if |z_i| ≤ λ1, else −(z_i − sgn(z_i)·λ1) / ((β + sqrt(n_i))/α + λ2)
// Parameters (config `parameter`): alpha (default 0.1), beta (1), l1 (0), l2 (0).
// Storage: v1 = w, v2 = n (not a covariance), aux = z.

import type { SparseVector } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';
import { type LabelColumn, WeightTable } from './weight-table.js';

export interface FtrlParameters {
  alpha: number;
  beta: number;
  l1: number;
  l2: number;
}

export class FtrlLogisticRegression extends LinearClassifier {
  readonly method = 'logreg';

  constructor(readonly params: FtrlParameters) {
    super(1, false, true);
  }

  learn(x: SparseVector, y: string): void {
    this.table.register(y);
    for (const col of this.table.labels) this.learnBinary(col, x, col.name === y ? 1 : 0);
  }

  private learnBinary(col: LabelColumn, x: SparseVector, target: number): void {
    const { alpha, beta, l1, l2 } = this.params;
    const { idx, val, length } = x;
    const margin = WeightTable.score(col, idx, val, length);
    const p = 1 / (1 + Math.exp(-Math.max(-35, Math.min(35, margin))));
    const g = p - target;
    const z = col.aux!;
    for (let k = 0; k < length; k++) {
      const f = idx[k];
      const gi = g * val[k];
      const n = col.cov[f];
      const sigma = (Math.sqrt(n + gi * gi) - Math.sqrt(n)) / alpha;
      z[f] += gi - sigma * col.w[f];
      const n2 = n + gi * gi;
      col.cov[f] = n2;
      const zf = z[f];
      col.w[f] = Math.abs(zf) <= l1 ? 0 : -(zf - Math.sign(zf) * l1) / ((beta + Math.sqrt(n2)) / alpha + l2);
      col.has[f] = 1;
    }
  }
}
