import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Trace } from '../../src/core/trace.js';
import type { ReadIssue, ReadOptions } from '../../src/ingest/reader.js';
import { jsonlReader, makeJsonlReader } from '../../src/ingest/readers/jsonl.js';

const fixtures = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));

async function readAll(path: string, opts: Partial<ReadOptions> = {}, reader = jsonlReader) {
  const traces: Trace[] = [];
  const issues: ReadIssue[] = [];
  for await (const t of reader.read(path, {
    detail: 'full',
    processes: 'tree',
    onIssue: (i) => issues.push(i),
    ...opts,
  }))
    traces.push(t);
  return { traces, issues };
}

test('canonical traces: processes, calls, args, labels, evidence; __proto__ names untouched', async () => {
  const { traces, issues } = await readAll(join(fixtures, 'traces.jsonl'));
  assert.deepEqual(issues, []);
  assert.deepEqual(
    traces.map((t) => t.id),
    ['fast-1', 'slow-1', 'plain-1', 'vt-high', 'vt-zero', 'vt-mid'],
  );
  const fast = traces[0];
  assert.equal(fast.label, 'malware');
  assert.equal(fast.time, '2026-01-31T12:00:00Z');
  assert.equal(fast.source, 'feed-a');
  // tree: a.exe and its child; the unrelated svchost.exe (ppid 4) is left out
  assert.deepEqual(
    fast.processes.map((p) => [p.pid, p.ppid, p.name]),
    [
      [100, 1, 'a.exe'],
      [200, 100, 'child.exe'],
    ],
  );
  const [open, proto, ctor] = fast.processes[0].calls;
  assert.equal(open.api, 'NtOpenKey');
  assert.equal(open.category, 'registry');
  assert.equal(open.ret, '0x00000000');
  assert.equal(open.status, true);
  assert.equal(open.tid, '7');
  assert.equal(open.ts, 10);
  assert.ok(open.args instanceof Map);
  assert.deepEqual(
    [...open.args!.entries()],
    [
      ['ObjectAttributes', 'HKLM\\Software'],
      ['__proto__', 'x'],
    ],
  );
  assert.equal(proto.api, '__proto__');
  assert.equal(proto.repeated, 3);
  assert.equal(ctor.api, 'constructor');
  assert.equal(traces[2].label, '__proto__');
  assert.deepEqual(
    traces[2].processes[0].calls.map((c) => c.api),
    ['NtOpenKey', 'NtClose', 'NtClose'],
  );
  assert.deepEqual(traces[3].evidence, { virustotal: { positives: 12, total: 60 } });
  assert.match(fast.origin ?? '', /^sha256:[0-9a-f]{64}#line1$/);
  assert.match(traces[5].origin ?? '', /#line6$/);
});

test('--processes all keeps every process; api detail drops arguments', async () => {
  const { traces } = await readAll(join(fixtures, 'traces.jsonl'), { processes: 'all', detail: 'api' });
  assert.deepEqual(
    traces[0].processes.map((p) => p.pid),
    [100, 200, 300],
  );
  const open = traces[0].processes[0].calls[0];
  assert.equal(open.args, undefined);
  assert.equal(open.ret, undefined);
  assert.equal(open.ts, 10);
  assert.equal(open.category, 'registry');
});

test('gzip-compressed JSONL reads the same', async () => {
  const plain = await readAll(join(fixtures, 'traces.jsonl'));
  const gz = await readAll(join(fixtures, 'traces.jsonl.gz'));
  assert.deepEqual(
    gz.traces.map((t) => [t.id, t.processes]),
    plain.traces.map((t) => [t.id, t.processes]),
  );
});

test('bad lines are reported with their line numbers and skipped, the rest goes on', async () => {
  const path = join(fixtures, 'bad.jsonl');
  const { traces, issues } = await readAll(path);
  assert.deepEqual(
    traces.map((t) => t.id),
    ['ok-1', 'ok-4'],
  );
  assert.deepEqual(
    issues.map((i) => i.where),
    [`${path}:2`, `${path}:3`, `${path}:5`, `${path}:6`],
  );
  assert.match(issues[0].reason, /invalid JSON/);
  assert.match(issues[1].reason, /missing "id"/);
  assert.equal(issues[2].reason, 'calls[1]: empty API name');
  assert.match(issues[3].reason, /"ts" must be a number/);
});

test('bare-name calls are read-only records; past the shared ones (65,536 names, 256 chars) each still reads right', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'malgram-jsonl-'));
  try {
    const path = join(dir, 'names.jsonl');
    // 70,000 distinct names: more than the reader shares records for
    const many = Array.from({ length: 70_000 }, (_, i) => `Api${i}`);
    const lines = [
      { id: 'a', calls: ['NtClose', 'NtOpenKey', 'NtClose', '__proto__', 'Nt'.repeat(200)] },
      { id: 'b', calls: many },
      { id: 'c', calls: [...many.slice(-3), 'NtClose'] },
    ];
    await writeFile(path, lines.map((l) => JSON.stringify(l)).join('\n'));
    const { traces, issues } = await readAll(path);
    assert.deepEqual(issues, []);
    assert.deepEqual(
      traces.map((t) => t.processes[0].calls.map((c) => c.api)),
      lines.map((l) => l.calls),
    );
    const first = traces[0].processes[0].calls[0];
    assert.deepEqual(first, { api: 'NtClose' });
    assert.throws(() => {
      (first as { api: string }).api = 'NtTerminateProcess';
    }, TypeError);
    assert.equal(traces[2].processes[0].calls[3].api, 'NtClose');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a line longer than the bound is skipped without holding it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'malgram-jsonl-'));
  try {
    const path = join(dir, 'long.jsonl');
    const long = JSON.stringify({ id: 'long', calls: Array(2000).fill('NtClose') });
    await writeFile(path, `{"id":"a","calls":["X"]}\n${long}\n{"id":"b","calls":["Y"]}`);
    const { traces, issues } = await readAll(path, {}, makeJsonlReader(1024));
    assert.deepEqual(
      traces.map((t) => t.id),
      ['a', 'b'],
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0].where, `${path}:2`);
    assert.match(issues[0].reason, /longer than 1024 bytes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('long lines of the plain calls form (the fast path, jsonl-calls.ts): same traces, same errors, short lines unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'malgram-jsonl-long-'));
  try {
    // ~300 KB lines: over the 64 KiB threshold
    const long = Array.from({ length: 20_000 }, (_, i) => `Nt${['Open', 'Close', 'Read'][i % 3]}Key${i % 7}`);
    const lines = [
      JSON.stringify({ id: 'fast', label: 'malware', calls: long }),
      JSON.stringify({ id: 'escaped', label: 'benign', calls: [...long, 'Nt"Quoted'] }), // generic path
      `{"id":"broken","calls":${JSON.stringify(long)}`, // invalid JSON, long
      JSON.stringify({ id: 'short', calls: ['NtClose'] }),
      JSON.stringify({ id: 'empty-name', calls: [...long.slice(0, 6000), ''] }), // shape error, long
    ];
    const path = join(dir, 'long.jsonl');
    await writeFile(path, `${lines.join('\r\n')}\n`);
    const { traces, issues } = await readAll(path, { detail: 'api', processes: 'all' });
    assert.deepEqual(
      traces.map((t) => [t.id, t.label, t.processes[0].calls.length]),
      [
        ['fast', 'malware', 20_000],
        ['escaped', 'benign', 20_001],
        ['short', undefined, 1],
      ],
    );
    assert.deepEqual(
      traces[0].processes[0].calls.map((c) => c.api),
      long,
    );
    assert.equal(traces[1].processes[0].calls[20_000].api, 'Nt"Quoted');
    assert.deepEqual(
      issues.map((i) => i.where),
      [`${path}:3`, `${path}:5`],
    );
    assert.match(issues[0].reason, /^invalid JSON/);
    assert.match(issues[1].reason, /empty API name/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
