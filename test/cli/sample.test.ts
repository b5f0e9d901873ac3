import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSamples } from '../../src/ingest/source.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const timed = `${repoRoot}test/fixtures/evaluate/timed.jsonl`;

test('sample writes a seeded JSONL spread over months and sources, and a store subset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'malgram-sample-'));
  try {
    const out = join(dir, 'set.jsonl');
    const r = await runCli([
      'sample',
      '--data',
      timed,
      '--format',
      'jsonl',
      '--per-period',
      '3',
      '--period',
      'month',
      '--seed',
      '5',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.seen, 96);
    assert.equal(summary.cells.length, 8); // 4 months × 2 sources
    for (const c of summary.cells) assert.ok(c.selected === Math.min(3, c.seen));
    const drawn = await loadSamples({ data: [out], format: 'jsonl', onIssue: (i) => assert.fail(i.reason) });
    assert.equal(drawn.length, summary.selected);
    const original = new Map((await loadSamples({ data: [timed], format: 'jsonl' })).map((t) => [t.id, t]));
    for (const t of drawn) {
      const o = original.get(t.id);
      assert.ok(o, t.id);
      assert.deepEqual(t.processes, o.processes);
      assert.equal(t.label, o.label);
    }
    const again = join(dir, 'again.jsonl');
    await runCli([
      'sample',
      '--data',
      timed,
      '--format',
      'jsonl',
      '--per-period',
      '3',
      '--period',
      'month',
      '--seed',
      '5',
      '--out',
      again,
      '--quiet',
    ]);
    assert.equal(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'));

    const db = join(dir, 'subset.db');
    const s = await runCli([
      'sample',
      '--data',
      timed,
      '--format',
      'jsonl',
      '--per-period',
      '2',
      '--period',
      'month',
      '--out-db',
      db,
    ]);
    assert.equal(s.code, 0, s.stderr);
    const stored = await loadSamples({ db });
    assert.equal(stored.length, 16);
    const again2 = await runCli(['sample', '--data', timed, '--format', 'jsonl', '--out-db', db]);
    assert.equal(again2.code, 1);
    assert.match(again2.stderr, /exists already/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample without an output or with a bad count is a usage error', async () => {
  for (const args of [
    ['--data', timed],
    ['--data', timed, '--out', '/tmp/x.jsonl', '--per-period', '0'],
  ]) {
    const r = await runCli(['sample', ...args]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^malgram: .*(--out|--per-period)/);
  }
});
