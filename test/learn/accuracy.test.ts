// The accuracy check of issue 3 on MalbehavD-V1: train on half (split by identical API
// sequence, `sequenceHashSplit` of src/evaluate/split.ts, the split `eval --by-sequence-hash`
// uses), classify the other half; 3-grams, log_tf/bin, one pass.
// One online pass depends on the order. Over shuffle seeds 1–20, AROW (C = 1) ranges 86.1–91.6%
// (mean 88.2%, 6 of 20 orders ≥ 90%): one group of 52 identical malware test rows sits on its
// boundary. CW reaches 90.3–91.5% on 19 of those orders (87.2% on seed 19). So this checks
// AROW's spread (every order ≥ 85%, mean ≥ 87%) and CW at ≥ 90% on seeds 1–5. It also checks
// the order effect itself: file order, all benign then all malware, is far worse (60.7%).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { sequenceHashSplit } from '../../src/evaluate/split.js';
import { loadSamples } from '../../src/ingest/source.js';
import { configFromFlags, createModel } from '../../src/learn/model.js';
import { type TrainOrder, trainOnTraces } from '../../src/learn/training.js';
import { malbehavdCsv } from '../helpers/cli.js';

let train: Trace[] = [];
let test: Trace[] = [];

function accuracy(method: string, order: TrainOrder, seed: number): number {
  const model = createModel(
    configFromFlags({ method, ngram: 3, sampleWeight: 'log_tf', globalWeight: 'bin' }),
  );
  trainOnTraces(model, train, { order, seed, passes: 1 });
  let ok = 0;
  for (const t of test) if (model.classify(t).predicted === t.label) ok++;
  return ok / test.length;
}

describe('accuracy on MalbehavD-V1 (split by identical sequence)', () => {
  before(async () => {
    const traces = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
    const split = sequenceHashSplit(traces);
    train = split.train.map((i) => traces[i]);
    test = split.test.map((i) => traces[i]);
  });

  it('keeps identical sequences on one side and splits about half/half', () => {
    const key = (t: Trace) => t.processes.flatMap((p) => p.calls.map((c) => c.api)).join('\u001f');
    const trainKeys = new Set(train.map(key));
    assert.equal(test.filter((t) => trainKeys.has(key(t))).length, 0);
    assert.equal(train.length + test.length, 2570);
    assert.ok(Math.abs(train.length - test.length) < 0.2 * 2570);
  });

  it('AROW, 3-grams, log_tf/bin, one pass: every shuffle order of seeds 1–20 >= 85%, mean >= 87%', () => {
    const accs = Array.from({ length: 20 }, (_, i) => accuracy('AROW', 'shuffle', i + 1));
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    const shown = accs.map((a) => (100 * a).toFixed(1)).join(', ');
    assert.ok(Math.min(...accs) >= 0.85, `worst order ${Math.min(...accs)} (all: ${shown})`);
    assert.ok(mean >= 0.87, `mean ${mean} (all: ${shown})`);
  });

  it('CW, 3-grams, log_tf/bin, one pass: >= 90% on every shuffle order of seeds 1–5', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const acc = accuracy('CW', 'shuffle', seed);
      assert.ok(acc >= 0.9, `seed ${seed}: ${acc}`);
    }
  });

  it('file order (sorted by label) ends much worse than shuffled', () => {
    assert.ok(accuracy('AROW', 'file', 1) < accuracy('AROW', 'shuffle', 2) - 0.1);
  });
});
