// Model.ngramWeights: the weights of one API n-gram found through the n-gram index (what the
// incremental scorer of `watch` and train's alert threshold use), which must equal
// featureWeights of the n-gram's feature name in every kind of model: trained in this process
// (features named lazily), loaded from a file (named), hashed, pruned, with `_` in API names
// (looked up by name), and for n-grams the model has never seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { ngramFeatureName } from '../../src/features/api-ngrams.js';
import { configFromFlags, createModel, modelFromBytes, type OnlineModel } from '../../src/learn/model.js';
import { trainOnTraces } from '../../src/learn/training.js';

const vocabulary = ['NtOpenFile', 'NtReadFile', 'NtClose', 'RegOpenKeyExW', 'LdrLoadDll', 'NtWriteFile'];
const traceOf = (id: string, label: string, apis: string[]): Trace => ({
  id,
  label,
  format: 'jsonl',
  processes: [{ pid: 1, calls: apis.map((api) => ({ api })) }],
});
/** Deterministic traces: label 1 prefers the second half of the vocabulary. */
function traces(names: string[]): Trace[] {
  return Array.from({ length: 40 }, (_, i) => {
    const label = i % 2 === 0 ? '0' : '1';
    const apis = Array.from({ length: 30 }, (_, k) => names[((i * 7 + k * k) % 3) + (label === '1' ? 3 : 0)]);
    return traceOf(`t${i}`, label, apis);
  });
}

function check(model: OnlineModel, names: string[], what: string): void {
  const config = configFromFlags({ ngram: 3 });
  let known = 0;
  for (const a of names)
    for (const b of names)
      for (const c of [...names, 'NeverSeen']) {
        const apis = [a, b, c];
        const byName = model.featureWeights(ngramFeatureName(apis, config.malgram!));
        assert.deepEqual(model.ngramWeights(apis), byName, `${what}: ${apis.join(' ')}`);
        if (byName) known++;
      }
  assert.ok(known > 10, `${what}: ${known} known n-grams`);
  assert.equal(model.ngramWeights(['NtClose', 'NtClose']), undefined, `${what}: a 2-gram in a 3-gram model`);
}

for (const [label, names] of [
  ['plain names', vocabulary],
  ['names with the separator', vocabulary.map((n, i) => (i % 2 ? `${n}_x` : n))],
] as const) {
  test(`ngramWeights equals featureWeights by name (${label}): in process, loaded, hashed, pruned`, () => {
    const data = traces([...names]);
    const trained = createModel(configFromFlags({ ngram: 3 }));
    trainOnTraces(trained, data, { order: 'file', seed: 1, passes: 1 });
    check(trained, [...names], 'in process');
    check(modelFromBytes(trained.toBytes()), [...names], 'loaded');
    const hashedConfig = configFromFlags({ ngram: 3 });
    hashedConfig.converter.hash_max_size = 64;
    const hashed = createModel(hashedConfig);
    trainOnTraces(hashed, data, { order: 'file', seed: 1, passes: 1 });
    check(hashed, [...names], 'hashed');
    const pruned = createModel(configFromFlags({ ngram: 3 }), { maxFeatures: 12 });
    trainOnTraces(pruned, data, { order: 'file', seed: 1, passes: 1 });
    check(pruned, [...names], 'pruned');
  });
}
