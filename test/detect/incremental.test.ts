// The incremental score after k calls must equal `model.classify` of the first k calls, at every
// prefix, on real traces of MalbehavD-V1, with models trained on other rows.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { featureSpecOf } from '../../src/detect/feature-spec.js';
import { IncrementalScorer } from '../../src/detect/scorer.js';
import { ApiInterner, ProcessTable } from '../../src/detect/state.js';
import { configFromFlags } from '../../src/features/config.js';
import { loadSamples } from '../../src/ingest/source.js';
import { createModel } from '../../src/learn/model.js';
import { malbehavdCsv } from '../helpers/cli.js';

let train: Trace[] = [];
let test: Trace[] = [];

before(async () => {
  const all = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
  // Rows 0, 3, 6, ... are test traces (never trained on); the others train the models.
  for (const [i, t] of all.entries()) (i % 3 === 0 ? test : train).push(t);
  // Benign rows come first in the file: interleave labels for online training.
  const benign = train.filter((t) => t.label === '0');
  const malware = train.filter((t) => t.label !== '0');
  train = benign.flatMap((t, i) => (malware[i] ? [t, malware[i]] : [t]));
  // 40 test traces: the 20 longest of each label (up to 175 calls) for many prefixes each.
  const longest = (label: string) =>
    test
      .filter((t) => (label === '0' ? t.label === '0' : t.label !== '0'))
      .sort((a, b) => b.processes[0].calls.length - a.processes[0].calls.length)
      .slice(0, 20);
  test = [...longest('0'), ...longest('1')];
});

function checkEveryPrefix(flags: Parameters<typeof configFromFlags>[0]) {
  const model = createModel(configFromFlags(flags));
  for (const t of train) model.train(t, t.label!);
  const { spec, collapseRepeats } = featureSpecOf(model);
  const scorer = new IncrementalScorer(model, spec, new ApiInterner());
  const labels = scorer.labels;
  assert.deepEqual(labels, model.labels());
  const table = new ProcessTable(
    { maxProcesses: 100, maxNgramsPerUnit: 1e6, tree: false },
    labels.length,
    scorer.windowLength,
  );
  let prefixes = 0;
  let worst = 0;
  let nonZero = 0;
  for (const [ti, trace] of test.entries()) {
    const calls = trace.processes[0].calls;
    const state = table.touch('h', ti, undefined);
    for (let k = 1; k <= calls.length; k++) {
      const id = scorer.interner.id(calls[k - 1].api);
      if (!(collapseRepeats && id === state.lastId)) scorer.observe(state, id);
      state.lastId = id;
      const batch = model.classify({
        id: trace.id,
        format: 'csv',
        processes: [{ pid: 1, calls: calls.slice(0, k) }],
      });
      for (const [i, label] of labels.entries()) {
        const expected = batch.scores.get(label) ?? 0;
        const got = state.unit.score(i);
        const err = Math.abs(got - expected) / Math.max(Math.abs(expected), 1e-12);
        if (expected !== 0) nonZero++;
        worst = Math.max(worst, expected === 0 && got === 0 ? 0 : err);
        assert.ok(
          Math.abs(got - expected) <= 1e-9 * Math.max(Math.abs(expected), 1e-6),
          `${trace.id} prefix ${k} label ${label}: incremental ${got} vs classify ${expected}`,
        );
      }
      prefixes++;
    }
    table.exit('h', ti);
  }
  assert.ok(prefixes > 2000, `checked ${prefixes} prefixes`);
  assert.ok(nonZero > prefixes, 'most scores are non-zero (the model learned something)');
  return { prefixes, worst };
}

describe('incremental scoring equals classify at every prefix (MalbehavD-V1)', () => {
  it('AROW, 3-grams, log_tf/bin (the research setting)', () => {
    const r = checkEveryPrefix({ method: 'arow', ngram: 3, sampleWeight: 'log_tf', globalWeight: 'bin' });
    console.log(`  ${r.prefixes} prefixes, worst relative error ${r.worst.toExponential(2)}`);
  });
  it('PA1, 1-3-grams, tf/bin', () => {
    checkEveryPrefix({ method: 'pa1', ngram: '1-3', sampleWeight: 'tf', globalWeight: 'bin' });
  });
  it('CW, 2-grams, bin/bin', () => {
    checkEveryPrefix({ method: 'cw', ngram: 2, sampleWeight: 'bin', globalWeight: 'bin' });
  });
  it('AROW, 4-5-grams (string keys), log_tf/idf1 (frozen document statistics)', () => {
    checkEveryPrefix({ method: 'arow', ngram: '4-5', sampleWeight: 'log_tf', globalWeight: 'idf1' });
  });
  it('perceptron, 3-grams, collapsed repeats', () => {
    checkEveryPrefix({
      method: 'perceptron',
      ngram: 3,
      sampleWeight: 'log_tf',
      globalWeight: 'bin',
      repeated: 'collapse',
    });
  });
});
