// Perceptron (Rosenblatt 1958), multi-class as in Jubatus (jubatus-reference.md §1.4):
// ŷp = argmax over ALL labels (y included, first maximum, strict >); if ŷp = y, skip.
// Otherwise w[y] += x and w[ŷp] −= x. With no label known ŷp = "" and only w[y] += x.
// The update registers y even when x is empty.

import type { SparseVector } from '../features/sparse-vector.js';
import { LinearClassifier } from './linear-classifier.js';

export class Perceptron extends LinearClassifier {
  readonly method = 'perceptron';

  constructor(C = 1) {
    super(C, false);
  }

  learn(x: SparseVector, y: string): void {
    const predicted = this.predictOne(x);
    if (predicted === y) return;
    const wrong = predicted === null ? undefined : this.table.get(predicted);
    this.table.register(y);
    this.stepUpdate(x, 1, y, wrong);
  }
}
