// Passive-Aggressive (Crammer et al., "Online Passive-Aggressive Algorithms", JMLR 2006), as in
// Jubatus (jubatus-reference.md §1.4): m = s_ŷ − s_y, loss = 1 + m; loss < 0 → skip (PA does
// not register y); ‖x‖² = 0 → register y, skip; else τ = loss / (2‖x‖²) and
// w[y] += τx, w[ŷ] −= τx. The factor 2: both weight vectors move.

import { type SparseVector, squaredNorm } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';

export class PassiveAggressive extends LinearClassifier {
  readonly method: string = 'PA';
  /** Whether a skipped update (loss < 0) still registers y (PA1/PA2 do, PA does not). */
  protected readonly registerOnSkip: boolean = false;

  constructor(C = 1) {
    super(C, false);
  }

  /** The step size τ for this loss and ‖x‖². */
  protected step(loss: number, norm: number): number {
    return loss / (2 * norm);
  }

  learn(x: SparseVector, y: string): void {
    const m = this.margin(x, y);
    const loss = 1 + (m.sWrong - m.sy);
    if (loss < 0) {
      if (this.registerOnSkip) this.table.register(y);
      return;
    }
    const norm = squaredNorm(x);
    if (norm === 0) {
      this.table.register(y);
      return;
    }
    this.stepUpdate(x, this.step(loss, norm), y, m.wrong);
  }
}
