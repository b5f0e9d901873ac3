// PA-II (Crammer et al. 2006), as in Jubatus (jubatus-reference.md §1.4): the PA skeleton with
// τ = loss / (2‖x‖² + 1/(2C)); 1/(2C) is evaluated in float32 (C is a C++ `float`, golden
// README note 2); a skip (loss < 0) registers y.
import { PassiveAggressive } from './pa.js';

export class PassiveAggressive2 extends PassiveAggressive {
  override readonly method: string = 'PA2';
  protected override readonly registerOnSkip: boolean = true;

  protected override step(loss: number, norm: number): number {
    const inv = Math.fround(1 / Math.fround(2 * this.C));
    return loss / (2 * norm + inv);
  }
}
