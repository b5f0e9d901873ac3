import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../src/core/trace.js';
import { applyFilters, parseDuration, processTree, traceDuration } from '../../src/ingest/filters.js';
import { loadSamples } from '../../src/ingest/source.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));

test('parseDuration: ms, s, m, h, bare seconds; garbage is an error naming the flag', () => {
  assert.equal(parseDuration('500ms'), 0.5);
  assert.equal(parseDuration('5s'), 5);
  assert.equal(parseDuration('2m'), 120);
  assert.equal(parseDuration('1h'), 3600);
  assert.equal(parseDuration('1.5'), 1.5);
  assert.throws(() => parseDuration('5 days'), /--max-duration: invalid duration "5 days"/);
  assert.throws(() => parseDuration('-1s'), /invalid duration/);
});

test('processTree: the first process and its descendants, cycles harmless', () => {
  const p = (pid: number, ppid?: number) => ({ pid, ppid, calls: [] });
  const tree = processTree([p(10, 1), p(11, 10), p(12, 11), p(99, 4), p(13, 12), p(4, 99)]);
  assert.deepEqual(
    tree.map((x) => x.pid),
    [10, 11, 12, 13],
  );
});

test('duration spans the selected processes only; --max-duration keeps, drops, and counts no-timestamp samples', async () => {
  const tree = await loadSamples({ data: [`${fixtures}traces.jsonl`], processes: 'tree' });
  const all = await loadSamples({ data: [`${fixtures}traces.jsonl`], processes: 'all' });
  // fast-1: 10.0 .. 12.0 in its tree; the injected svchost.exe call at 40.0 counts only with `all`.
  assert.equal(traceDuration(tree[0]), 2);
  assert.equal(traceDuration(all[0]), 30);
  assert.equal(traceDuration(tree[1]), 9);
  assert.equal(traceDuration(tree[2]), undefined);
  const verdicts = tree.map((t) => applyFilters(t, { maxDuration: parseDuration('5s') }));
  assert.deepEqual(verdicts.slice(0, 3), [
    { keep: true, noTimestamps: false },
    { keep: false, reason: 'calls span 9.000 s > --max-duration 5 s' },
    { keep: true, noTimestamps: true },
  ]);
  assert.equal(applyFilters(all[0], { maxDuration: 5 }).keep, false);
});

test('--min-calls counts call records', () => {
  const t: Trace = {
    id: 'x',
    format: 'jsonl',
    processes: [{ pid: 1, calls: [{ api: 'A', repeated: 9 }, { api: 'B' }] }],
  };
  assert.equal(applyFilters(t, { minCalls: 2 }).keep, true);
  assert.equal(applyFilters(t, { minCalls: 3 }).keep, false);
});
