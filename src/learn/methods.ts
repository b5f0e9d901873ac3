// The learner for a config's method (Jubatus names and aliases, jubatus-reference.md §1.4).
import { type ClassifierConfig, canonicalMethod, regularizationOf } from '../features/config.js';
import { Arow } from './arow.js';
import { ConfidenceWeighted } from './cw.js';
import { FtrlLogisticRegression } from './ftrl.js';
import type { LinearClassifier } from './linear-classifier.js';
import { NormalHerd } from './nherd.js';
import { PassiveAggressive } from './pa.js';
import { PassiveAggressive1 } from './pa1.js';
import { PassiveAggressive2 } from './pa2.js';
import { Perceptron } from './perceptron.js';

function numberParam(config: ClassifierConfig, key: string, dflt: number): number {
  const v = config.parameter?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

export function createLearner(config: ClassifierConfig): LinearClassifier {
  const method = canonicalMethod(config.method);
  const C = regularizationOf(config);
  switch (method) {
    case 'perceptron':
      return new Perceptron(C);
    case 'PA':
      return new PassiveAggressive(C);
    case 'PA1':
      return new PassiveAggressive1(C);
    case 'PA2':
      return new PassiveAggressive2(C);
    case 'CW':
      return new ConfidenceWeighted(C);
    case 'AROW':
      return new Arow(C);
    case 'NHERD':
      return new NormalHerd(C);
    case 'logreg':
      return new FtrlLogisticRegression({
        alpha: numberParam(config, 'alpha', 0.1),
        beta: numberParam(config, 'beta', 1),
        l1: numberParam(config, 'l1', 0),
        l2: numberParam(config, 'l2', 0),
      });
  }
}
