import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import {
  groupSamples,
  kFold,
  perLabelSplit,
  sequenceHash,
  sequenceHashSplit,
  sourceSplit,
  stratifiedSplit,
  timeSplit,
} from '../../src/evaluate/split.js';
import { loadSamples } from '../../src/ingest/source.js';
import { malbehavdCsv } from '../helpers/cli.js';

const trace = (id: string, label: string, calls: string[], extra: Partial<Trace> = {}): Trace => ({
  id,
  label,
  format: 'jsonl',
  processes: [{ pid: 1, calls: calls.map((api) => ({ api })) }],
  ...extra,
});

let real: Trace[] = [];
before(async () => {
  real = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api', onIssue: () => {} });
});

/** No sample id and no identical sequence on both sides. */
function assertNoLeak(samples: Trace[], train: number[], test: number[]): void {
  const trainIds = new Set(train.map((i) => samples[i].id));
  const trainSeqs = new Set(train.map((i) => sequenceHash(samples[i])));
  for (const i of test) {
    assert.ok(!trainIds.has(samples[i].id), `id ${samples[i].id} on both sides`);
    assert.ok(!trainSeqs.has(sequenceHash(samples[i])), `sequence of row ${i} on both sides`);
  }
}

test('sequence hashes tell process boundaries apart', () => {
  const a = trace('a', 'x', []);
  a.processes = [
    { pid: 1, calls: [{ api: 'A' }, { api: 'B' }] },
    { pid: 2, calls: [{ api: 'C' }] },
  ];
  const b = trace('b', 'x', []);
  b.processes = [
    { pid: 1, calls: [{ api: 'A' }] },
    { pid: 2, calls: [{ api: 'B' }, { api: 'C' }] },
  ];
  assert.notEqual(sequenceHash(a), sequenceHash(b));
  assert.equal(sequenceHash(a), sequenceHash({ ...a, id: 'other' }));
});

test('grouping joins samples by id and by identical sequence, transitively', () => {
  const s = [
    trace('1', 'm', ['A', 'B']),
    trace('2', 'm', ['A', 'B']), // same sequence as 1
    trace('2', 'm', ['C']), // same id as 2
    trace('3', 'b', ['D']),
    trace('__proto__', 'b', ['E']),
    trace('constructor', 'b', ['E']),
  ];
  const g = groupSamples(s);
  assert.equal(g.groups.length, 3);
  assert.equal(g.duplicatesGrouped, 3);
  assert.deepEqual(g.groups.find((x) => x.members.includes(0))?.members, [0, 1, 2]);
  assert.equal(groupSamples(s, { keepDuplicates: true }).groups.length, 6);
});

test('MalbehavD-V1: duplicates grouped, stratified 50/50 split without leaks', () => {
  assert.equal(real.length, 2570);
  const g = groupSamples(real);
  // only ~1,600 distinct sequences among 2,570 rows (issue 4)
  assert.ok(g.groups.length > 1400 && g.groups.length < 1700, `${g.groups.length} groups`);
  assert.equal(g.duplicatesGrouped, real.length - g.groups.length);
  const split = stratifiedSplit(g, 0.5, 1);
  assert.equal(split.train.length + split.test.length, real.length);
  assertNoLeak(real, split.train, split.test);
  for (const label of ['0', '1']) {
    const inTrain = split.train.filter((i) => real[i].label === label).length;
    const inTest = split.test.filter((i) => real[i].label === label).length;
    assert.ok(Math.abs(inTrain - inTest) < 0.1 * (inTrain + inTest), `label ${label}: ${inTrain}/${inTest}`);
  }
  // same seed, same split; another seed, another split
  assert.deepEqual(stratifiedSplit(g, 0.5, 1), split);
  assert.notDeepEqual(stratifiedSplit(g, 0.5, 2).test, split.test);
});

test('a naive split (--keep-duplicates) leaks copies of test rows into training', () => {
  const split = stratifiedSplit(groupSamples(real, { keepDuplicates: true }), 0.5, 1);
  const trainSeqs = new Set(split.train.map((i) => sequenceHash(real[i])));
  const leaked = split.test.filter((i) => trainSeqs.has(sequenceHash(real[i]))).length;
  assert.ok(
    leaked > 0.2 * split.test.length,
    `${leaked} of ${split.test.length} test rows have a copy in training`,
  );
});

test('per-label counts and k-fold on real data', () => {
  const g = groupSamples(real);
  const p = perLabelSplit(g, 300, 500, 7);
  // counted by group label: one MalbehavD trace appears 12 times, labelled 0 five times and 1 seven
  const groupLabel = new Map<number, string>();
  for (const grp of g.groups) for (const i of grp.members) groupLabel.set(i, grp.label);
  assert.equal(g.conflictingGroups, 1);
  for (const label of ['0', '1']) {
    assert.equal(p.train.filter((i) => groupLabel.get(i) === label).length, 300);
    assert.equal(p.test.filter((i) => groupLabel.get(i) === label).length, 500);
  }
  assertNoLeak(real, p.train, p.test);
  assert.throws(() => perLabelSplit(g, 1000, 1000, 1), /fewer than 1000 \+ 1000/);
  const folds = kFold(g, 5, 3);
  assert.equal(folds.length, 5);
  const seen = new Set<number>();
  for (const f of folds) {
    assertNoLeak(real, f.train, f.test);
    assert.equal(f.train.length + f.test.length, real.length);
    for (const i of f.test) seen.add(i);
    assert.ok(Math.abs(f.test.length - real.length / 5) < 60, `${f.name}: ${f.test.length}`);
  }
  assert.equal(seen.size, real.length);
});

test('time split trains on the older samples; source split keeps sources apart', () => {
  const s = Array.from({ length: 20 }, (_, i) =>
    trace(`s${i}`, i % 2 ? 'm' : 'b', [`A${i}`], {
      time: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
      source: `feed${i % 4}`,
    }),
  );
  const t = timeSplit(s, groupSamples(s), 0.75);
  assert.deepEqual(
    t.train,
    Array.from({ length: 15 }, (_, i) => i),
  );
  assert.deepEqual(t.test, [15, 16, 17, 18, 19]);
  const noTime = [...s, trace('x', 'm', ['Z'])];
  assert.throws(
    () => timeSplit(noTime, groupSamples(noTime), 0.5),
    /1 of 21 samples have no valid analysis time/,
  );
  const bySource = sourceSplit(s, 0.5, 1);
  const trainSources = new Set(bySource.train.map((i) => s[i].source));
  for (const i of bySource.test) assert.ok(!trainSources.has(s[i].source));
  assert.ok(bySource.test.length > 0 && bySource.train.length > 0);
  const one = s.map((x) => ({ ...x, source: 'only' }));
  assert.throws(() => sourceSplit(one, 0.5, 1), /two sources/);
});

test('sequence-hash split: groups by sequence, ordered by SHA-256 of the names joined with U+001F, dealt per label', () => {
  const hex = (calls: string[]) => createHash('sha256').update(calls.join('\u001f')).digest('hex');
  const seqs = [['a', 'b'], ['b', 'a'], ['c'], ['a', 'c', 'b'], ['d'], ['e', 'f'], ['f']];
  // every sequence twice under its label; ['a','b'] once more as benign-vs-malware conflict
  const samples: Trace[] = [];
  seqs.forEach((calls, s) => {
    const label = s < 4 ? 'benign' : 'malware';
    samples.push(trace(`${s}-1`, label, calls), trace(`${s}-2`, label, calls));
  });
  samples.push(trace('conflict', 'malware', ['a', 'b']));
  const split = sequenceHashSplit(samples);
  // expected: per label, sequences in hash order alternate train, test, train...
  const side = new Map<string, 'train' | 'test'>();
  for (const label of ['benign', 'malware']) {
    const own = seqs.filter((_, s) => (s < 4 ? 'benign' : 'malware') === label);
    const hashes = own.map((calls) => hex(calls)).sort();
    for (const [k, h] of hashes.entries()) side.set(h, k % 2 === 0 ? 'train' : 'test');
  }
  for (const [i, t] of samples.entries()) {
    const want = side.get(hex(t.processes[0].calls.map((c) => c.api)));
    assert.equal(split.train.includes(i) ? 'train' : 'test', want, `${t.id}`);
  }
  assert.equal(split.train.length + split.test.length, samples.length);
  // no seed: the same split from a reordered input
  const again = sequenceHashSplit([...samples].reverse());
  assert.deepEqual(
    again.train.map((i) => samples.length - 1 - i).sort((a, b) => a - b),
    split.train,
  );
});

test('sequence-hash split on MalbehavD-V1: 1,411 / 1,159, identical sequences on one side', () => {
  const split = sequenceHashSplit(real);
  assert.deepEqual([split.train.length, split.test.length], [1411, 1159]);
  const trainSeqs = new Set(split.train.map((i) => sequenceHash(real[i])));
  assert.equal(split.test.filter((i) => trainSeqs.has(sequenceHash(real[i]))).length, 0);
  const count = (side: number[], label: string) => side.filter((i) => real[i].label === label).length;
  assert.deepEqual(
    [count(split.train, '0'), count(split.train, '1'), count(split.test, '0'), count(split.test, '1')],
    [634, 777, 651, 508],
  );
});
