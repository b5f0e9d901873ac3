import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.js';
import { detectFormat, readerFor, readerForFile } from '../../src/ingest/formats.js';
import { SNIFF_BYTES } from '../../src/ingest/input-file.js';
import type { ReadIssue } from '../../src/ingest/reader.js';
import { jsonlReader } from '../../src/ingest/readers/jsonl.js';
import { loadSamples } from '../../src/ingest/source.js';
import { malbehavdCsv, sharedData } from '../helpers/cli.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));
const reports = `${sharedData}reports/`;

test('auto detection by content, gzip included', async () => {
  const cases: Array<[string, string]> = [
    [malbehavdCsv, 'csv'],
    [`${fixtures}quoted.csv`, 'csv'],
    [`${fixtures}traces.jsonl`, 'jsonl'],
    [`${fixtures}traces.jsonl.gz`, 'jsonl'],
    [`${reports}capev2-2.4-lite_apc-inject_b145e2ec.json`, 'cape'],
    [`${reports}capev2-2.4-full_41ce492f.json.gz`, 'cape'],
    [`${reports}cuckoo-0.4.2-full_swizzor.json`, 'cuckoo'],
    // cuckoo-modified 1.3-NG is CAPE's direct ancestor: the report readers file it under cape.
    [`${reports}cuckoo-modified-1.3NG-full_vip-html.json.gz`, 'cape'],
  ];
  for (const [path, format] of cases) assert.equal((await detectFormat(path)).format, format, path);
});

const scratch = mkdtempSync(join(tmpdir(), 'malgram-formats-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a JSONL file whose first trace is longer than the sniffed head is still JSONL, gzip included', async () => {
  const calls = Array.from({ length: 30_000 }, (_, i) => `NtApiNumber${i % 300}`);
  const line = JSON.stringify({ id: 'long', label: 'malware', calls });
  assert.ok(line.length > SNIFF_BYTES, `${line.length} bytes`);
  const text = `${line}\n${JSON.stringify({ id: 'short', label: 'benign', calls: ['a', 'b'] })}\n`;
  const plain = join(scratch, 'long.jsonl');
  const gz = join(scratch, 'long.jsonl.gz');
  writeFileSync(plain, text);
  writeFileSync(gz, gzipSync(text));
  for (const path of [plain, gz]) {
    assert.equal((await detectFormat(path)).format, 'jsonl', path);
    const traces = await loadSamples({ data: [path] });
    assert.deepEqual(
      traces.map((t) => [t.id, t.processes[0].calls.length]),
      [
        ['long', 30_000],
        ['short', 2],
      ],
    );
  }
});

test("JSONL sniffing reads only the first object's own keys: a one-line report is not a trace line", async () => {
  const report = JSON.parse(readFileSync(`${reports}cuckoo-0.4.2-full_swizzor.json`, 'utf8'));
  const oneLine = `${JSON.stringify(report)}\n`;
  assert.match(oneLine, /"processes":/); // nested under "behavior"
  const head = Buffer.from(oneLine.slice(0, SNIFF_BYTES));
  assert.ok(jsonlReader.sniff(head, 'r.json') < 0.95, String(jsonlReader.sniff(head, 'r.json')));
  const path = join(scratch, 'one-line-report.json');
  writeFileSync(path, oneLine);
  assert.equal((await detectFormat(path)).format, 'cuckoo');
  // keys inside strings, escaped quotes and nested objects do not count; a top-level one does
  const sniff = (t: string) => jsonlReader.sniff(Buffer.from(t), 'x.jsonl');
  assert.ok(sniff('{"info": {"calls": [1]}, "note": "\\"calls\\": [", "x": [') < 0.95);
  assert.equal(sniff('{"info": {"a": [1, {"b": 2}]}, "note": "\\"}", "calls": ["NtClose", '), 0.95);
});

test('an unrecognised file is an InputError naming it', async () => {
  const path = `${fixtures}unknown.txt`;
  await assert.rejects(detectFormat(path), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.equal(err.where, path);
    assert.match(err.message, /unknown format/);
    return true;
  });
});

test('an unknown --format name is an InputError listing the known ones', async () => {
  assert.throws(() => readerFor('xml'), /unknown format "xml" \(known: auto, cuckoo, cape, csv, jsonl\)/);
  assert.equal((await readerForFile(`${fixtures}unknown.txt`, 'csv')).format, 'csv');
});

test('openSamples over a folder: every file, unknown ones reported and skipped', async () => {
  const issues: ReadIssue[] = [];
  const traces = await loadSamples({ data: [fixtures], onIssue: (i) => issues.push(i) });
  const ids = (format: string) => traces.filter((t) => t.format === format).map((t) => t.id);
  // bad.jsonl (2 good), traces.jsonl + .gz (6 each); labels.json is JSON but no trace (1 issue).
  assert.deepEqual(
    ids('jsonl').sort(),
    [
      'ok-1',
      'ok-4',
      ...['fast-1', 'slow-1', 'plain-1', 'vt-high', 'vt-zero', 'vt-mid'].flatMap((id) => [id, id]),
    ].sort(),
  );
  // labels.csv has the CSV layout (id,label) too, so it reads as one sample without calls.
  assert.deepEqual(ids('csv'), ['fast-1', '__proto__', 'q1', 'q2', 'q3']);
  assert.ok(issues.some((i) => i.where === `${fixtures}unknown.txt` && /unknown format/.test(i.reason)));
  await assert.rejects(
    loadSamples({ data: [`${fixtures}missing.csv`] }),
    /missing\.csv: cannot read: ENOENT/,
  );
});
