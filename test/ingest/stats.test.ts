import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSamples } from '../../src/ingest/source.js';
import { callEdges, computeStats, factsOfTrace, renderHistogram, statsJson } from '../../src/ingest/stats.js';
import { runCli } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'malgram-stats-'));
after(() => rm(dir, { recursive: true, force: true }));

test('counts, distributions and histograms of the fixture traces', async () => {
  const traces = await loadSamples({ data: [`${fixtures}traces.jsonl`] });
  const s = statsJson(computeStats(traces.map(factsOfTrace)));
  assert.equal(s.samples, 6);
  assert.equal(s.files, 6);
  assert.equal(JSON.stringify(s.labels), '{"__proto__":1,"goodware":1,"malware":2}');
  assert.equal(Object.getPrototypeOf(s.labels), Object.prototype, 'a __proto__ label stays a plain key');
  assert.equal(s.unlabelled, 2);
  // call records: fast-1 4 (tree), slow-1 2, plain-1 3, vt-* 1 each
  assert.deepEqual([s.calls.total, s.calls.min, s.calls.median, s.calls.max], [12, 1, 1.5, 4]);
  assert.equal(s.calls_expanded.total, 15); // fast-1's __proto__ call repeated 3 more times
  assert.deepEqual([s.duration_s.count, s.duration_s.min, s.duration_s.max], [2, 2, 9]);
  assert.equal(s.no_timestamps, 4);
  assert.deepEqual(s.months, { '2026-01': 1, '2026-02': 1, unknown: 4 });
  assert.deepEqual(s.sources, { 'feed-a': 1, 'feed-b': 1, unknown: 4 });
  assert.deepEqual(
    s.histograms.duration_s.map((b) => [b.lo, b.hi, b.count]),
    [
      [2, 5, 1],
      [5, 10, 1],
    ],
  );
  // call-count edges 0,1,2,5: [1,2) holds the three 1-call samples, [2,5) the other three.
  assert.deepEqual(
    s.histograms.calls.map((b) => [b.lo, b.hi, b.count]),
    [
      [1, 2, 3],
      [2, 5, 3],
    ],
  );
  const lines = renderHistogram(computeStats(traces.map(factsOfTrace)).durationHistogram, 's', 10);
  assert.deepEqual(lines, ['   2–5 s │██████████ 1', '  5–10 s │██████████ 1']);
});

test('callEdges: 1-2-5 steps up to the first edge past the maximum', () => {
  assert.deepEqual(callEdges(175), [0, 1, 2, 5, 10, 20, 50, 100, 200]);
  assert.deepEqual(callEdges(0), [0, 1]);
});

test('stats --data reads files directly; --chart writes an SVG or an HTML page', async () => {
  const svg = join(dir, 'chart.svg');
  const html = join(dir, 'chart.html');
  const run = await runCli(['stats', '--data', `${fixtures}traces.jsonl`, '--chart', svg]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /analyses \(samples\): 6/);
  assert.match(run.stdout, /API-call duration distribution \(2 analyses\):/);
  const text = await readFile(svg, 'utf8');
  assert.match(text, /^<svg /);
  assert.match(text, /API-call duration/);
  const page = await runCli(['stats', '--data', `${fixtures}traces.jsonl`, '--chart', html, '--json']);
  assert.equal(page.code, 0, page.stderr);
  assert.equal(JSON.parse(page.stdout).samples, 6);
  assert.match(await readFile(html, 'utf8'), /^<!doctype html>[\s\S]*<svg /);
  const missing = await runCli(['stats', '--db', join(dir, 'none.db')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /none\.db: cannot open the store/);
});
