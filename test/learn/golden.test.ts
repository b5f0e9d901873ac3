// Compatibility with the original Jubatus (jubatus_core 1.1.1): the golden vectors in
// ../shared/data/jubatus-golden/ (see its README) are reproduced bit for bit — converted
// features for all three settings, the weight table after steps 1–3, the final table (which
// cells exist, weight and covariance) and the test scores (summed in the given key order).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Datum, FeatureVector } from '../../src/core/datum.js';
import { parseConfig } from '../../src/features/config.js';
import { DatumConverter, sortAndMerge } from '../../src/features/converter.js';
import { createModel, type OnlineModel } from '../../src/learn/model.js';
import { sharedData } from '../helpers/cli.js';

const dir = join(sharedData, 'jubatus-golden');

interface InputRow {
  step?: number;
  test_index?: number;
  label: string;
  api_call: string;
}
type Entry = number | [number, number];
type Table = Record<string, Record<string, Entry>>;
interface Run {
  config: Record<string, unknown>;
  weights: Table;
  after_step: Array<{ step: number; weights: Table }>;
  scores: Array<{ test_index: number; scores: Record<string, number>; order: string[]; predicted: string }>;
  labels: Record<string, number>;
}
interface Converted {
  train: Array<{ step: number; fv: Record<string, number> }>;
  test: Array<{ test_index: number; fv: Record<string, number> }>;
}

const inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')) as {
  train: InputRow[];
  test: InputRow[];
};
const datum = (row: InputRow): Datum => ({ stringValues: [['api_call', row.api_call]], numValues: [] });
const settings = ['logtf-bin', 'tf-idf', 'bin-bin'];
const runs = readdirSync(dir).filter(
  (f) => /__(logtf-bin|tf-idf|bin-bin)\.json$/.test(f) && !f.startsWith('converted'),
);

function read<T>(file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

/** The model's table in the golden layout (v1, or [v1, v2] for covariance methods). */
function tableOf(model: OnlineModel): Table {
  const out: Table = {};
  for (const [feature, row] of model.cells()) {
    const cells: Record<string, Entry> = {};
    for (const [label, [w, c]] of row) cells[label] = model.hasCovariance ? [w, c] : w;
    out[feature] = cells;
  }
  return out;
}

/** Exact (===, via assert.deepStrictEqual with Object.is semantics) table comparison with a useful message. */
function assertTable(actual: Table, expected: Table, what: string): void {
  const a = Object.keys(actual).sort();
  const e = Object.keys(expected).sort();
  assert.equal(a.length, e.length, `${what}: number of features`);
  assert.deepEqual(a, e, `${what}: feature set`);
  for (const f of e) assert.deepEqual(actual[f], expected[f], `${what}: feature ${f}`);
}

describe('jubatus golden: converter', () => {
  for (const setting of settings) {
    it(`reproduces converted features for ${setting} (train with statistics, then test)`, () => {
      const conv = read<Converted>(`converted__${setting}.json`);
      const config = parseConfig(
        read<Run>(runs.find((r) => r.endsWith(`__${setting}.json`))!).config as never,
      );
      const converter = new DatumConverter(config.converter);
      const weights = converter.newWeightManager();
      inputs.train.forEach((row, i) => {
        const fv = sortAndMerge(converter.convert(datum(row), weights, true));
        assert.deepEqual(fv, Object.entries(conv.train[i].fv), `train step ${row.step}`);
      });
      inputs.test.forEach((row, i) => {
        const fv = converter.convert(datum(row), weights, false);
        assert.deepEqual(new Map(fv), new Map(Object.entries(conv.test[i].fv)), `test ${row.test_index}`);
      });
    });
  }
});

describe('jubatus golden: classifiers', () => {
  assert.equal(runs.length, 27);
  for (const file of runs) {
    it(`reproduces ${file}`, () => {
      const run = read<Run>(file);
      const setting = file.split('__')[1].replace('.json', '');
      const conv = read<Converted>(`converted__${setting}.json`);
      const model = createModel(JSON.stringify(run.config));
      inputs.train.forEach((row, i) => {
        model.trainDatum(datum(row), row.label);
        const snap = run.after_step.find((s) => s.step === i + 1);
        if (snap) assertTable(tableOf(model), snap.weights, `after step ${i + 1}`);
      });
      assertTable(tableOf(model), run.weights, 'final table');
      assert.deepEqual(Object.fromEntries(model.labelCounts()), run.labels);
      for (const expected of run.scores) {
        const fv: FeatureVector = Object.entries(conv.test[expected.test_index].fv);
        const c = model.classifyVector(fv);
        assert.deepEqual([...c.scores.keys()], expected.order, `test ${expected.test_index}: label order`);
        for (const label of expected.order) {
          assert.equal(
            c.scores.get(label),
            expected.scores[label],
            `test ${expected.test_index}: score of ${label}`,
          );
        }
        assert.equal(c.predicted, expected.predicted, `test ${expected.test_index}: predicted`);
      }
    });
  }
});
