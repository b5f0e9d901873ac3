import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../src/core/trace.js';
import { sha256File } from '../../src/ingest/input-file.js';
import type { ReadIssue } from '../../src/ingest/reader.js';
import { csvReader, makeCsvReader, parseCsvRecord } from '../../src/ingest/readers/csv.js';
import { malbehavdCsv } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));

async function readAll(path: string, reader = csvReader) {
  const traces: Trace[] = [];
  const issues: ReadIssue[] = [];
  for await (const t of reader.read(path, {
    detail: 'full',
    processes: 'tree',
    onIssue: (i) => issues.push(i),
  }))
    traces.push(t);
  return { traces, issues };
}

test('MalbehavD-V1: every row, its label and its calls, as in the file', async () => {
  const { traces, issues } = await readAll(malbehavdCsv);
  assert.deepEqual(issues, []);
  // Independent oracle: the file has no quoted fields, so a plain split gives the cells.
  const lines = (await readFile(malbehavdCsv, 'utf8')).split(/\r?\n/).filter((l) => l !== '');
  const rows = lines.slice(1).map((l) => l.split(','));
  assert.equal(traces.length, rows.length);
  assert.equal(traces.length, 2570);
  const fileHash = await sha256File(malbehavdCsv);
  traces.forEach((t, i) => {
    assert.equal(t.id, rows[i][0]);
    assert.equal(t.label, rows[i][1]);
    assert.equal(t.format, 'csv');
    assert.equal(t.origin, `sha256:${fileHash}#row${i}`);
    assert.equal(t.processes.length, 1);
    assert.deepEqual(
      t.processes[0].calls.map((c) => c.api),
      rows[i].slice(2).filter((c) => c !== ''),
    );
  });
  assert.equal(traces.filter((t) => t.label === '0').length, 1285);
  assert.equal(traces.filter((t) => t.label === '1').length, 1285);
  assert.equal(new Set(traces.map((t) => t.id)).size, 2543);
});

test('quoted fields, line breaks inside quotes, and a bad row reported with its line', async () => {
  const path = join(fixtures, 'quoted.csv');
  const { traces, issues } = await readAll(path);
  assert.deepEqual(
    traces.map((t) => [t.id, t.label, t.processes[0].calls.map((c) => c.api), t.origin?.split('#')[1]]),
    [
      ['q1', '1', ['Nt,Open', 'NtClose'], 'row0'],
      ['q2', '0', ['multi\nline', 'say "hi"'], 'row2'],
      ['q3', '1', ['NtClose'], 'row3'],
    ],
  );
  assert.equal(issues.length, 1);
  assert.equal(issues[0].where, `${path}:3`);
  assert.match(issues[0].reason, /empty sample id/);
});

test('parseCsvRecord: plain, quoted, escaped, unterminated', () => {
  assert.deepEqual(parseCsvRecord('a,,b,'), ['a', '', 'b', '']);
  assert.deepEqual(parseCsvRecord('"a,b","c""d"'), ['a,b', 'c"d']);
  assert.equal(parseCsvRecord('x,"open'), null);
});

test('a row longer than the bound is skipped with its line number; __proto__ passes through', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'malgram-csv-'));
  try {
    const path = join(dir, 'long.csv');
    await writeFile(
      path,
      `id,label,a\nok,__proto__,constructor,__proto__\nlong,1,${'X'.repeat(5000)}\nok2,0,NtClose\n`,
    );
    const { traces, issues } = await readAll(path, makeCsvReader(1000));
    assert.deepEqual(
      traces.map((t) => [t.id, t.label, t.processes[0].calls.map((c) => c.api)]),
      [
        ['ok', '__proto__', ['constructor', '__proto__']],
        ['ok2', '0', ['NtClose']],
      ],
    );
    assert.deepEqual(
      issues.map((i) => i.where),
      [`${path}:3`],
    );
    assert.equal(traces[1].origin?.endsWith('#row2'), true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
