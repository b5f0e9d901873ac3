// PA-I (Crammer et al. 2006), as in Jubatus (jubatus-reference.md §1.4): the PA skeleton with
// τ = min(C, loss / (2‖x‖²)); C is the float32 regularization_weight; a skip (loss < 0)
// registers y.
import { PassiveAggressive } from './pa.js';

export class PassiveAggressive1 extends PassiveAggressive {
  override readonly method: string = 'PA1';
  protected override readonly registerOnSkip: boolean = true;

  protected override step(loss: number, norm: number): number {
    return Math.min(this.C, loss / (2 * norm));
  }
}
