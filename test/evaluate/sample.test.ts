import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { drawSample, traceToJsonLine } from '../../src/evaluate/sample.js';
import { traceFromJson } from '../../src/ingest/readers/jsonl.js';

function* traces(n: number): Generator<Trace> {
  for (let i = 0; i < n; i++) {
    yield {
      id: `s${i}`,
      label: i % 3 === 0 ? 'malware' : 'benign',
      time: new Date(Date.UTC(2026, 0, 1 + (i % 10), 12)).toISOString(),
      source: Math.floor(i / 10) % 2 ? 'feed-a' : 'feed-b',
      format: 'jsonl',
      processes: [{ pid: 1, calls: [{ api: `A${i}` }] }],
    };
  }
}
async function* stream(n: number): AsyncGenerator<Trace> {
  yield* traces(n);
}

test('at most N per (day, source) cell, reproducible from the seed', async () => {
  const a = await drawSample(stream(400), { perPeriod: 5, period: 'day', seed: 1 });
  assert.equal(a.seen, 400);
  assert.equal(a.cells.length, 10 * 2);
  for (const c of a.cells) {
    assert.equal(c.seen, 20);
    assert.equal(c.selected, 5);
  }
  assert.equal(a.selected.length, 100);
  const again = await drawSample(stream(400), { perPeriod: 5, period: 'day', seed: 1 });
  assert.deepEqual(
    again.selected.map((t) => t.id),
    a.selected.map((t) => t.id),
  );
  const other = await drawSample(stream(400), { perPeriod: 5, period: 'day', seed: 2 });
  assert.notDeepEqual(
    other.selected.map((t) => t.id),
    a.selected.map((t) => t.id),
  );
});

test('every sample of a cell is equally likely to be drawn (reservoir sampling)', async () => {
  // one cell of 10 samples (one year, one source), keep 2: each drawn with probability 0.2
  const hits = new Map<string, number>();
  const runs = 2000;
  for (let seed = 0; seed < runs; seed++) {
    const d = await drawSample(stream(10), { perPeriod: 2, period: 'year', seed });
    assert.equal(d.selected.length, 2);
    for (const t of d.selected) hits.set(t.id, (hits.get(t.id) ?? 0) + 1);
  }
  // 10 samples in the one cell, 2 kept: p = 0.2, sd of the count = √(2000·0.2·0.8) ≈ 18
  assert.equal(hits.size, 10);
  for (const [id, h] of hits) assert.ok(Math.abs(h - 400) < 90, `${id}: ${h}`);
});

test('--per-label caps each label after the per-cell draw; samples without time go to "unknown"', async () => {
  const d = await drawSample(stream(400), { perPeriod: 50, period: 'month', perLabel: 7, seed: 3 });
  assert.equal(d.selected.filter((t) => t.label === 'malware').length, 7);
  assert.equal(d.selected.filter((t) => t.label === 'benign').length, 7);
  async function* untimed(): AsyncGenerator<Trace> {
    yield { id: 'x', format: 'csv', processes: [] };
  }
  const u = await drawSample(untimed(), { perPeriod: 1, period: 'day', seed: 1 });
  assert.deepEqual(u.cells, [{ period: 'unknown', source: 'unknown', seen: 1, selected: 1 }]);
});

test('canonical JSONL lines read back as the same trace, hostile argument names included', () => {
  const t: Trace = {
    id: 'abc',
    label: 'malware',
    time: '2026-02-01T00:00:00Z',
    source: 'feed',
    format: 'cuckoo',
    processes: [
      {
        pid: 4,
        ppid: 1,
        name: 'a.exe',
        calls: [
          {
            api: 'NtOpenKey',
            category: 'registry',
            args: new Map<string, string | number | boolean | null>([
              ['__proto__', 'x'],
              ['constructor', 1],
            ]),
            ret: '0x0',
            status: true,
            ts: 0.5,
            tid: '7',
            repeated: 2,
          },
        ],
      },
    ],
  };
  const back = traceFromJson(JSON.parse(traceToJsonLine(t)), { detail: 'full', processes: 'all' });
  assert.deepEqual(back, { ...t, format: 'jsonl' });
});
