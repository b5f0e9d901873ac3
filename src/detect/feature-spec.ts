// How a model's config turns API n-grams into features, for the incremental scorer: the native
// API-sequence rule (`malgram` block of the config, src/features/config.ts) names an n-gram
// `api_call$A_B_C@space#<sw>/<gw>` (src/features/api-ngrams.ts `ngramFeatureName`) with value
// sw(tf)·g. The global weight g: 1 for `bin`; for `idf`/`idf1` the model's document statistics
// (frozen while classifying, so g is a per-feature constant: the weight manager's value for
// sw = 1); `bm25` depends on the whole vector and is refused.
import { InputError } from '../core/errors.js';
import { ngramFeatureName } from '../features/api-ngrams.js';
import { API_CALL_KEY, parseConfig, parseNgram } from '../features/config.js';
import type { WeightManager } from '../features/weight-manager.js';
import type { Model } from '../learn/model-api.js';
import type { NgramFeatureSpec } from './scorer.js';

export interface FeatureSpecInfo {
  spec: NgramFeatureSpec;
  /** `collapse`: consecutive identical APIs count once (the config's `repeated` policy). */
  collapseRepeats: boolean;
  /** Parts of the config the detector cannot reproduce from events (their features are left out). */
  warnings: string[];
}

export function featureSpecOf(model: Model): FeatureSpecInfo {
  const config = parseConfig(model.configJson, 'model config');
  const native = config.malgram;
  if (!native) {
    throw new InputError(
      'the model has no native API n-gram rule (a `malgram` block); watch needs a model trained with --ngram',
      'model',
    );
  }
  const range = parseNgram(native.ngram, 'model config.malgram.ngram');
  const ns: number[] = [];
  for (let n = range.min; n <= range.max; n++) ns.push(n);
  const sw = native.sample_weight;
  const gw = native.global_weight;
  const stats = (model as { weights?: WeightManager }).weights;
  if (gw !== 'bin' && !((gw === 'idf' || gw === 'idf1') && stats)) {
    throw new InputError(
      `global weight "${gw}" cannot be scored incrementally (it depends on the whole vector); train with --global-weight bin, idf or idf1`,
      'model',
    );
  }
  const warnings: string[] = [];
  if (native.categories) warnings.push('API-category n-grams are not in events; those features are left out');
  if (native.args) warnings.push('argument-derived features are not scored in real time; they are left out');
  if ((config.converter.string_rules ?? []).some((r) => r.key !== API_CALL_KEY)) {
    warnings.push('converter rules on other datum keys are not scored in real time');
  }
  return {
    spec: {
      ns,
      sampleWeight: sw,
      featureName: (apis) => ngramFeatureName(apis, native),
      globalWeight: gw === 'bin' || !stats ? undefined : (name) => stats.weigh(name, 1),
    },
    collapseRepeats: native.repeated === 'collapse',
    warnings,
  };
}
