// The MIX fold against hand-computed examples (jubatus-reference.md §4.4–4.5).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyDiff, mixDiffs } from '../../src/cluster/mix.js';
import type { ModelDiff } from '../../src/learn/model-api.js';

type Cells = Array<[feature: string, label: string, d1: number, d2: number, d3?: number]>;

function diff(version: number, cells: Cells, extra: Partial<ModelDiff> = {}): ModelDiff {
  const d = { ...emptyDiff(version), ...extra };
  for (const [f, l, d1, d2, d3 = 0] of cells) {
    let row = d.weights.get(f);
    if (!row) {
      row = new Map();
      d.weights.set(f, row);
    }
    row.set(l, [d1, d2, d3]);
  }
  return d;
}

function cell(d: ModelDiff, f: string, l: string): [number, number, number] | undefined {
  return d.weights.get(f)?.get(l);
}

test('a weight learned on one of N workers is divided by N', () => {
  const learned = diff(3, [['api_call$A', 'malware', 0.9, 0.5]]);
  const mixed = mixDiffs([learned, emptyDiff(3), emptyDiff(3)]);
  const c = cell(mixed, 'api_call$A', 'malware');
  assert.ok(c);
  assert.ok(Math.abs(c[0] - 0.3) < 1e-12, `d1 = ${c[0]}`);
  // The covariance delta is the minimum, with 1 for the workers that did not touch the cell.
  assert.equal(c[1], 0.5);
  assert.equal(mixed.baseVersion, 3);
});

test('weights are the mean over workers, covariances the minimum, missing cells count (0, 1, 0)', () => {
  const a = diff(1, [
    ['f', 'x', 1, -0.2, 3],
    ['g', 'y', 2, 0.7],
  ]);
  const b = diff(1, [
    ['f', 'x', 4, -0.5, 0],
    ['f', 'y', -3, 2],
  ]);
  const c = diff(1, [['g', 'y', -5, 0.1]]);
  const mixed = mixDiffs([a, b, c]);
  // f/x: d1 mean(1, 4, 0) = 5/3; d2 min(-0.2, -0.5, 1) = -0.5; d3 mean(3, 0, 0) = 1.
  const fx = cell(mixed, 'f', 'x');
  assert.ok(fx);
  assert.ok(Math.abs(fx[0] - 5 / 3) < 1e-12);
  assert.equal(fx[1], -0.5);
  assert.ok(Math.abs(fx[2] - 1) < 1e-12);
  // f/y only on b: d1 = -3/3; d2 = min(2, 1, 1) = 1 (a fresh covariance above 1 is capped by the missing 1s).
  assert.deepEqual(cell(mixed, 'f', 'y'), [-1, 1, 0]);
  // g/y on a and c: d1 = (2 + 0 - 5)/3 = -1; d2 = min(0.7, 1, 0.1) = 0.1.
  const gy = cell(mixed, 'g', 'y');
  assert.ok(gy);
  assert.ok(Math.abs(gy[0] + 1) < 1e-12);
  assert.equal(gy[1], 0.1);
});

test('the pairwise running mean equals the arithmetic mean whatever the order', () => {
  const ds = [
    diff(0, [['f', 'l', 6, 1]]),
    diff(0, [['f', 'l', -3, 1]]),
    diff(0, [['f', 'l', 0.5, 1]]),
    emptyDiff(0),
  ];
  const forward = cell(mixDiffs(ds), 'f', 'l');
  const backward = cell(mixDiffs([...ds].reverse()), 'f', 'l');
  assert.ok(forward && backward);
  assert.ok(Math.abs(forward[0] - 3.5 / 4) < 1e-12);
  assert.ok(Math.abs(backward[0] - 3.5 / 4) < 1e-12);
});

test('a newer version wins: stale diffs are dropped from weights and document statistics, label counts always sum', () => {
  const stale = diff(4, [['f', 'l', 10, 0.1]], {
    labelCounts: new Map([['malware', 2]]),
    documentCount: 2,
    documentFrequencies: new Map([['f', 2]]),
    updates: 2,
  });
  const fresh1 = diff(5, [['f', 'l', 1, 0.9]], {
    labelCounts: new Map([
      ['malware', 1],
      ['benign', 3],
    ]),
    documentCount: 4,
    documentFrequencies: new Map([
      ['f', 1],
      ['g', 4],
    ]),
    groupFrequencies: new Map([['grp', 4]]),
    groupTotalLengths: new Map([['grp', 12.5]]),
    updates: 4,
  });
  const fresh2 = diff(5, [['g', 'l', 2, 0.8]], {
    labelCounts: new Map([['benign', 5]]),
    documentCount: 5,
    documentFrequencies: new Map([['g', 5]]),
    groupFrequencies: new Map([['grp', 5]]),
    groupTotalLengths: new Map([['grp', 7.5]]),
    updates: 5,
  });
  for (const order of [
    [stale, fresh1, fresh2],
    [fresh1, stale, fresh2],
    [fresh1, fresh2, stale],
  ]) {
    const mixed = mixDiffs(order);
    assert.equal(mixed.baseVersion, 5);
    assert.deepEqual(cell(mixed, 'f', 'l'), [0.5, 0.9, 0]);
    assert.deepEqual(cell(mixed, 'g', 'l'), [1, 0.8, 0]);
    assert.deepEqual(
      mixed.labelCounts,
      new Map([
        ['malware', 3],
        ['benign', 8],
      ]),
    );
    assert.equal(mixed.documentCount, 9);
    assert.deepEqual(
      mixed.documentFrequencies,
      new Map([
        ['f', 1],
        ['g', 9],
      ]),
    );
    assert.deepEqual(mixed.groupFrequencies, new Map([['grp', 9]]));
    assert.deepEqual(mixed.groupTotalLengths, new Map([['grp', 20]]));
    assert.equal(mixed.updates, 9);
  }
});

test('update-weighted mean weighs each worker by its number of updates', () => {
  const busy = diff(2, [['f', 'l', 1, 0.4, 2]], { updates: 3 });
  const idle = diff(2, [['f', 'l', 5, 0.6]], { updates: 1 });
  const absent = diff(2, [], { updates: 0 });
  const mixed = mixDiffs([busy, idle, absent], 'updates');
  // d1 = (3·1 + 1·5 + 0)/4 = 2; d3 = 3·2/4 = 1.5; d2 = min(0.4, 0.6, 1) = 0.4.
  assert.deepEqual(cell(mixed, 'f', 'l'), [2, 0.4, 1.5]);
  // With no update anywhere it falls back to the plain mean.
  const none = mixDiffs([diff(2, [['f', 'l', 4, 1]]), diff(2, [])], 'updates');
  assert.deepEqual(cell(none, 'f', 'l'), [2, 1, 0]);
});

test('hostile feature and label names pass through as data', () => {
  const a = diff(0, [['__proto__', 'constructor', 2, 0.5]], { labelCounts: new Map([['__proto__', 1]]) });
  const mixed = mixDiffs([a, emptyDiff(0)]);
  assert.deepEqual(cell(mixed, '__proto__', 'constructor'), [1, 0.5, 0]);
  assert.equal(mixed.labelCounts.get('__proto__'), 1);
  assert.equal(mixDiffs([]).weights.size, 0);
});
