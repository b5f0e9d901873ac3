// The Cuckoo and CAPE report readers on the real reports in ../shared/data/reports (counts and time
// spans from its README and docs/sandbox-report-formats.md §7) and on hand-written Cuckoo 1.0/1.1/
// 1.2/2.0 reports (test/fixtures/reports, written from the field rules of §5–§7).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors.js';
import { countCalls, type ProcessTrace, type Trace } from '../../src/core/trace.js';
import type { ReadOptions } from '../../src/ingest/reader.js';
import { capeReader } from '../../src/ingest/readers/cape.js';
import { cuckooReader } from '../../src/ingest/readers/cuckoo.js';
import { sharedData } from '../helpers/cli.js';

const reports = join(sharedData, 'reports');
const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const real = (name: string) => join(reports, name);
const fixture = (name: string) => join(fixtures, name);
const scratch = mkdtempSync(join(tmpdir(), 'malgram-reports-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function readOne(
  path: string,
  options: Partial<ReadOptions> = {},
  reader = path.includes('cape') || path.includes('modified') ? capeReader : cuckooReader,
): Promise<Trace> {
  const traces: Trace[] = [];
  for await (const t of reader.read(path, { detail: 'full', processes: 'all', ...options })) traces.push(t);
  assert.equal(traces.length, 1, 'a report yields exactly one trace');
  return traces[0];
}

/** Seconds between the first and last call of a process (§7 rule 3). */
function span(p: ProcessTrace): number {
  const ts = p.calls.map((c) => c.ts).filter((t): t is number => t !== undefined);
  return Math.max(...ts) - Math.min(...ts);
}

/** Seconds between the first and last call over several processes (§7 rule 4). */
function wholeSpan(ps: ProcessTrace[]): number {
  const ts = ps.flatMap((p) => p.calls.map((c) => c.ts)).filter((t): t is number => t !== undefined);
  return Math.max(...ts) - Math.min(...ts);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function rejects(
  path: string,
  pattern: RegExp,
  options: Partial<ReadOptions> = {},
): Promise<InputError> {
  try {
    await readOne(path, options);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${err}`);
    assert.ok(err.message.includes(path), `the message names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`${path} was accepted`);
}

/** The same report parsed whole by JSON.parse: an independent view to compare the streaming reader with. */
function parsedWhole(path: string): { behavior: { processes: { calls: Record<string, unknown>[] }[] } } {
  const bytes = readFileSync(path);
  return JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
}

describe('real sandbox reports', () => {
  const files = [
    'capev2-2.4-lite_apc-inject_b145e2ec.json',
    'capev2-2.4-lite_bits-bat_9088f800.json',
    'capev2-2.4-full_41ce492f.json.gz',
    'cuckoo-0.4.2-full_swizzor.json',
    'cuckoo-modified-1.3NG-full_vip-html.json.gz',
  ];

  for (const name of files) {
    test(`${name}: calls, arguments and repeats agree with JSON.parse of the same file`, async () => {
      const trace = await readOne(real(name));
      const whole = parsedWhole(real(name));
      assert.equal(trace.processes.length, whole.behavior.processes.length);
      trace.processes.forEach((p, i) => {
        const calls = whole.behavior.processes[i].calls.filter((c) => c.category !== 'anomaly' && c.api);
        assert.deepEqual(
          p.calls.map((c) => c.api),
          calls.map((c) => c.api),
        );
        assert.deepEqual(
          p.calls.map((c) => c.repeated ?? 0),
          calls.map((c) => c.repeated ?? 0),
        );
        assert.deepEqual(
          p.calls.map((c) => [...(c.args?.keys() ?? [])]),
          calls.map((c) => [...new Set((c.arguments as { name: string }[]).map((a) => a.name))]),
        );
        assert.deepEqual(
          p.calls.map((c) => c.ret),
          calls.map((c) => c.return),
        );
        assert.deepEqual(
          p.calls.map((c) => c.tid),
          calls.map((c) => c.thread_id),
        );
      });
      assert.equal(trace.origin, `sha256:${sha256(real(name))}`);
    });
  }

  test('CAPE lite apc-inject: 2 processes, 142 records; the tree is the injector alone', async () => {
    const all = await readOne(real('capev2-2.4-lite_apc-inject_b145e2ec.json'));
    assert.equal(all.format, 'cape');
    assert.equal(all.id, 'b145e2ec11257461442f8a42e1b34b303ff7eba7b27a8b65cb0ae6ac67950d10');
    assert.equal(all.time, '2025-11-18T21:10:56Z');
    assert.equal(all.processes.length, 2);
    assert.equal(countCalls(all).records, 142);
    const [injector, svchost] = all.processes;
    assert.deepEqual([injector.pid, injector.ppid, injector.name], [5900, 1508, 'apc-inject.exe']);
    assert.equal(injector.path, 'C:\\Users\\buddy\\AppData\\Local\\Temp\\apc-inject.exe');
    assert.equal(injector.commandLine, '"C:\\Users\\buddy\\AppData\\Local\\Temp\\apc-inject.exe" ');
    assert.equal(svchost.name, 'svchost.exe');
    assert.equal(span(injector).toFixed(2), '0.77');
    assert.equal(span(svchost).toFixed(1), '39.9');
    assert.equal(wholeSpan(all.processes).toFixed(1), '40.6');
    const first = injector.calls[0];
    assert.equal(first.api, 'LdrLoadDll');
    assert.equal(first.category, 'system');
    assert.equal(first.args?.get('FileName'), 'api-ms-win-core-synch-l1-2-0');
    assert.equal(first.status, true);
    assert.ok(injector.firstSeen !== undefined && injector.firstSeen < first.ts!);

    const tree = await readOne(real('capev2-2.4-lite_apc-inject_b145e2ec.json'), { processes: 'tree' });
    assert.deepEqual(
      tree.processes.map((p) => p.pid),
      [5900],
    );
    assert.equal(countCalls(tree).records, 131);
  });

  test('CAPE lite bits.bat: 6 processes, 873 records; the tree is cmd → cmd → bitsadmin', async () => {
    const all = await readOne(real('capev2-2.4-lite_bits-bat_9088f800.json'));
    assert.equal(all.processes.length, 6);
    assert.equal(countCalls(all).records, 873);
    const tree = await readOne(real('capev2-2.4-lite_bits-bat_9088f800.json'), { processes: 'tree' });
    assert.deepEqual(
      tree.processes.map((p) => p.name),
      ['cmd.exe', 'cmd.exe', 'bitsadmin.exe'],
    );
    assert.deepEqual(
      tree.processes.map((p) => span(p).toFixed(1)),
      ['59.6', '59.8', '64.8'],
    );
    assert.equal(wholeSpan(all.processes).toFixed(1), '75.8');
  });

  test('CAPEv2 full .gz: 10 processes, 2,602 records, the 10 MB curtain skipped', async () => {
    const all = await readOne(real('capev2-2.4-full_41ce492f.json.gz'));
    assert.equal(all.format, 'cape');
    assert.equal(all.id, '3cecc56af0cfbe8b48d85f05c11d5f646e0684e4a0a43d4d1b70d6686dbc1b3e');
    assert.equal(all.processes.length, 10);
    assert.equal(countCalls(all).records, 2602);
    // The sample is a script run by wscript.exe: found by its name on the command line.
    const tree = await readOne(real('capev2-2.4-full_41ce492f.json.gz'), {
      processes: 'tree',
      detail: 'api',
    });
    assert.deepEqual(
      tree.processes.map((p) => p.name),
      ['wscript.exe'],
    );
    assert.equal(countCalls(tree).records, 1079);
    const call = tree.processes[0].calls[0];
    assert.deepEqual(Object.keys(call).sort(), ['api', 'category', 'ts']);
  });

  test('Cuckoo 0.4.2 SWIZZOR: 2 processes, 449 records, legacy layout', async () => {
    const trace = await readOne(real('cuckoo-0.4.2-full_swizzor.json'), { processes: 'tree' });
    assert.equal(trace.format, 'cuckoo');
    assert.equal(trace.id, 'e571c7e723a53b931170ee74d954cab5185e2ccd61f13a73ff1e81e3231e0c12');
    assert.equal(trace.time, '2012-11-06T21:39:06Z');
    assert.equal(trace.processes.length, 2);
    assert.equal(countCalls(trace).records, 449);
    const [sample, iexplore] = trace.processes;
    assert.deepEqual([sample.pid, iexplore.pid, iexplore.ppid], [428, 932, 428]);
    assert.equal(sample.calls.filter((c) => c.ts !== undefined).length, 147);
    assert.equal(span(sample).toFixed(2), '2.30');
    assert.equal(span(iexplore).toFixed(2), '1.78');
    assert.equal(wholeSpan(trace.processes).toFixed(1), '7.8');
    assert.equal(sample.calls[0].status, true, '"SUCCESS" is a success');
    assert.ok(
      trace.processes.some((p) => p.calls.some((c) => c.status === false)),
      '"FAILURE" is a failure',
    );
  });

  test('cuckoo-modified 1.3-NG .gz: 2 processes, 5,682 records standing for 5.27 M calls', async () => {
    const trace = await readOne(real('cuckoo-modified-1.3NG-full_vip-html.json.gz'), { detail: 'api' });
    assert.equal(trace.format, 'cape');
    assert.equal(trace.processes.length, 2);
    const { records, expanded } = countCalls(trace);
    assert.equal(records, 5682);
    assert.equal((expanded / 1e6).toFixed(2), '5.27');
    assert.equal(Math.max(...trace.processes[1].calls.map((c) => c.repeated ?? 0)), 893273);
    // Its virustotal section is a "not found" answer: no evidence.
    assert.equal(trace.evidence, undefined);
  });

  test('the Cuckoo 2.0 signatures extract is not a report and is refused', async () => {
    await rejects(real('cuckoo-2.0-signatures-only.json'), /not a sandbox report: .*JSON array/);
  });

  test('sniff tells CAPE from Cuckoo by content', () => {
    const head = (name: string) => {
      const bytes = readFileSync(real(name));
      return (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).subarray(0, 8192);
    };
    for (const name of [
      'capev2-2.4-lite_apc-inject_b145e2ec.json',
      'capev2-2.4-lite_bits-bat_9088f800.json',
      'capev2-2.4-full_41ce492f.json.gz',
      'cuckoo-modified-1.3NG-full_vip-html.json.gz',
    ]) {
      const h = head(name);
      assert.ok(capeReader.sniff(h, name) > cuckooReader.sniff(h, name), name);
      assert.ok(capeReader.sniff(h, name) >= 0.5, name);
    }
    const swizzor = head('cuckoo-0.4.2-full_swizzor.json');
    assert.ok(cuckooReader.sniff(swizzor, 'r.json') > capeReader.sniff(swizzor, 'r.json'));
    assert.ok(cuckooReader.sniff(swizzor, 'r.json') >= 0.5);
    const signatures = head('cuckoo-2.0-signatures-only.json');
    assert.equal(cuckooReader.sniff(signatures, 's.json'), 0);
    assert.equal(capeReader.sniff(signatures, 's.json'), 0);
    const csv = readFileSync(join(sharedData, 'malbehavd-v1.csv')).subarray(0, 8192);
    assert.equal(cuckooReader.sniff(csv, 'm.csv'), 0);
    assert.equal(capeReader.sniff(csv, 'm.csv'), 0);
  });
});

describe('hand-written Cuckoo reports', () => {
  test('1.2: tree vs all, arguments, repeats, anomaly records skipped, hostile names untouched', async () => {
    const path = fixture('cuckoo-1.2-full.json');
    const all = await readOne(path);
    assert.equal(all.format, 'cuckoo');
    assert.equal(all.id, '0f3e6d1bd0a2d1e3c2b4f5a697887766554433221100ffeeddccbbaa99887766');
    assert.equal(all.time, '2014-03-02T11:15:20Z');
    assert.deepEqual(all.evidence, { virustotal: { positives: 38, total: 50 } });
    assert.deepEqual(
      all.processes.map((p) => [p.pid, p.ppid, p.name]),
      [
        [1412, 1236, 'invoice.exe'],
        [1532, 1412, 'cmd.exe'],
        [1688, 1560, 'explorer.exe'],
      ],
    );
    const sample = all.processes[0];
    assert.deepEqual(
      sample.calls.map((c) => c.api),
      [
        'LdrGetDllHandle',
        'RegOpenKeyExA',
        'NtAllocateVirtualMemory',
        '__proto__',
        'constructor',
        'CreateProcessInternalW',
      ],
      'the anomaly pseudo-call is skipped',
    );
    const reg = sample.calls[1];
    assert.equal(reg.status, false);
    assert.equal(reg.ret, '0xc0000034');
    assert.equal(reg.repeated, 2);
    assert.equal(reg.tid, '1416');
    assert.equal(reg.category, 'registry');
    assert.equal(reg.args?.get('SubKey'), 'Software\\Microsoft\\Windows\\CurrentVersion\\Run');
    const proto = sample.calls[3];
    assert.ok(proto.args instanceof Map);
    assert.equal(proto.args.get('__proto__'), 'polluted', 'first value wins for a duplicated name');
    assert.equal(proto.args.get('constructor'), 'C:\\x00\\x01éЖ');
    assert.deepEqual([...proto.args.keys()], ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.equal(sample.firstSeen, Date.UTC(2014, 2, 2, 10, 15, 31, 90) / 1000);
    assert.equal(span(sample).toFixed(3), '2.750');
    assert.equal(span(all.processes[1]).toFixed(3), '0.100');
    assert.equal(
      wholeSpan(all.processes).toFixed(3),
      '48.900',
      'the injected explorer.exe stretches the whole span',
    );

    const tree = await readOne(path, { processes: 'tree' });
    assert.deepEqual(
      tree.processes.map((p) => p.name),
      ['invoice.exe', 'cmd.exe'],
    );
    assert.equal(wholeSpan(tree.processes).toFixed(3), '2.890');
  });

  test('1.2 with detail api keeps api, category, ts and repeated only', async () => {
    const trace = await readOne(fixture('cuckoo-1.2-full.json'), { detail: 'api' });
    const reg = trace.processes[0].calls[1];
    assert.deepEqual(reg, {
      api: 'RegOpenKeyExA',
      category: 'registry',
      ts: Date.UTC(2014, 2, 2, 10, 15, 31, 125) / 1000,
      repeated: 2,
    });
  });

  test('1.0: calls without ids, a repeated write, the service chain', async () => {
    const trace = await readOne(fixture('cuckoo-1.0-full.json'), { processes: 'tree' });
    assert.equal(trace.format, 'cuckoo');
    assert.equal(trace.id, '7d5c9e0a8b1f2e3d4c5b6a79881726354433221100aabbccddeeff0011223344');
    assert.equal(trace.evidence, undefined);
    const [p] = trace.processes;
    assert.deepEqual(
      p.calls.map((c) => c.api),
      ['NtCreateFile', 'NtWriteFile', 'OpenSCManagerA', 'CreateServiceA', 'StartServiceA'],
    );
    assert.deepEqual(countCalls(trace), { records: 5, expanded: 12 });
    assert.equal(p.calls[1].args?.get('Buffer'), 'MZ\\x90\\x00\\x03\\x00\\x00\\x00');
    assert.equal(span(p).toFixed(3), '1.078');
  });

  test('1.1 URL task: id is the SHA-256 of the URL, the tree starts at the first process', async () => {
    const trace = await readOne(fixture('cuckoo-1.1-url.json'), { processes: 'tree' });
    assert.equal(
      trace.id,
      createHash('sha256').update('http://malicious.example/landing.php?id=7').digest('hex'),
    );
    assert.deepEqual(
      trace.processes.map((p) => p.name),
      ['iexplore.exe', 'flash_update.exe'],
    );
    assert.equal(wholeSpan(trace.processes).toFixed(3), '2.016');
  });

  test('2.0: object arguments with JSON types, float times, int tids, big return values, track:false', async () => {
    const path = fixture('cuckoo-2.0-full.json');
    const all = await readOne(path);
    assert.equal(all.format, 'cuckoo');
    assert.equal(all.id, 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00');
    assert.equal(all.time, new Date(1558483080123.456).toISOString());
    assert.deepEqual(all.evidence, { virustotal: { positives: 0, total: 71 } });
    assert.deepEqual(
      all.processes.map((p) => p.pid),
      [2896, 3012, 3100, 1300],
    );
    const sample = all.processes[0];
    assert.equal(sample.path, 'C:\\Users\\Analyst\\AppData\\Local\\Temp\\payload.exe');
    assert.equal(sample.commandLine, '"C:\\Users\\Analyst\\AppData\\Local\\Temp\\payload.exe" ');
    assert.equal(sample.firstSeen, 1558483085.359375);
    assert.equal(all.processes[1].commandLine, undefined, 'command_line null');
    const [create, regset, alloc, write, terminate] = sample.calls;
    assert.equal(create.args?.get('create_disposition'), 5);
    assert.equal(create.args?.get('filepath'), 'C:\\Users\\Analyst\\AppData\\Roaming\\svc.exe');
    assert.equal(create.ret, 0);
    assert.equal(create.status, true);
    assert.equal(create.tid, '2900');
    assert.equal(create.ts, 1558483085.375);
    assert.equal(
      regset.args?.get('regkey'),
      'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\svc',
    );
    assert.equal(alloc.ret, '18446744073709551615', 'beyond 2^53: kept exactly, as text');
    assert.equal(alloc.args?.get('__proto__'), 'kept');
    assert.equal(alloc.args?.get('sizes'), '[4096,8192]');
    assert.equal(alloc.args?.get('regions'), '{"constructor":1,"text":"a\\"b"}');
    assert.equal(alloc.args?.get('process_handle'), '0xffffffffffffffff');
    assert.equal(write.args?.get('buffer'), 'The operation completed successfully.\r\n');
    assert.equal(terminate.status, false);
    assert.equal(terminate.ret, -1073741790);
    assert.equal(span(sample).toFixed(3), '3.875');

    const tree = await readOne(path, { processes: 'tree' });
    assert.deepEqual(
      tree.processes.map((p) => p.name),
      ['payload.exe', 'cmd.exe'],
      'WerFault.exe is a child but track:false; svchost.exe is outside the tree',
    );
  });

  test('a gzip-compressed report reads the same; its origin is the hash of the compressed bytes', async () => {
    const plain = fixture('cuckoo-1.2-full.json');
    const gz = join(scratch, 'report.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const a = await readOne(plain);
    const b = await readOne(gz);
    assert.deepEqual(b.processes, a.processes);
    assert.equal(b.id, a.id);
    assert.equal(b.origin, `sha256:${sha256(gz)}`);
    assert.notEqual(b.origin, a.origin);
  });

  test('a truncated report is refused with the byte offset where it ends', async () => {
    const bytes = readFileSync(fixture('cuckoo-1.2-full.json'));
    const cut = join(scratch, 'truncated.json');
    writeFileSync(cut, bytes.subarray(0, 5000));
    const err = await rejects(cut, /truncated JSON/);
    assert.equal(err.where, `${cut}@5000`);
    const cutGz = join(scratch, 'truncated.json.gz');
    writeFileSync(cutGz, gzipSync(bytes).subarray(0, 2000));
    await rejects(cutGz, /truncated|corrupt/);
  });

  test('invalid JSON is refused with the offset of the bad byte', async () => {
    const text = readFileSync(fixture('cuckoo-1.0-full.json'), 'utf8');
    const at = text.indexOf('"thread_id"');
    const bad = join(scratch, 'invalid.json');
    writeFileSync(bad, `${text.slice(0, at)}]${text.slice(at)}`);
    const err = await rejects(bad, /invalid JSON: .*found '\]' at byte/);
    assert.equal(err.where, `${bad}@${Buffer.byteLength(text.slice(0, at))}`);
  });

  test('no behaviour section, no calls, and an unknown layout are refused', async () => {
    await rejects(fixture('no-behavior.json'), /no behavior section/);
    await rejects(fixture('no-calls.json'), /no API calls/);
    const odd = join(scratch, 'odd.json');
    writeFileSync(odd, JSON.stringify({ behavior: { processes: [{ id: 1, calls: [{ api: 'NtClose' }] }] } }));
    await rejects(odd, /unknown layout/);
    const missing = join(scratch, 'does-not-exist.json');
    await rejects(missing, /cannot open/);
  });

  test('key order does not matter and non-string API names are skipped', async () => {
    const doc = {
      behavior: {
        processes: [
          {
            calls: [
              { api: 42, category: 'system', timestamp: '2014-01-01 00:00:00,000' },
              { api: 'NtClose', category: 'system', timestamp: '2014-01-01 00:00:01,500', arguments: [] },
            ],
            process_name: 'x.exe',
            parent_id: 1,
            process_id: 2,
          },
        ],
      },
      target: { category: 'file', file: { name: 'x.exe', sha256: 'ab'.repeat(32) } },
      info: { version: '1.1', started: '2014-01-01 00:00:00' },
    };
    const path = join(scratch, 'reordered.json');
    writeFileSync(path, JSON.stringify(doc));
    const trace = await readOne(path, { processes: 'tree' });
    assert.equal(trace.id, 'ab'.repeat(32));
    assert.deepEqual(
      trace.processes[0].calls.map((c) => c.api),
      ['NtClose'],
    );
    assert.equal(trace.processes[0].calls[0].ts, Date.UTC(2014, 0, 1, 0, 0, 1, 500) / 1000);
  });

  test('sniff calls every hand-written Cuckoo report cuckoo, whatever comes first in it', () => {
    for (const name of [
      'cuckoo-1.0-full.json',
      'cuckoo-1.1-url.json',
      'cuckoo-1.2-full.json',
      'cuckoo-2.0-full.json',
    ]) {
      const bytes = readFileSync(fixture(name));
      for (const head of [bytes.subarray(0, 8192), bytes.subarray(0, 600)]) {
        assert.ok(cuckooReader.sniff(head, name) >= 0.5, `${name} (${head.length} bytes)`);
        assert.ok(
          cuckooReader.sniff(head, name) > capeReader.sniff(head, name),
          `${name} (${head.length} bytes)`,
        );
      }
    }
    const jsonl = Buffer.from('{"id": "a", "label": "1", "calls": ["NtOpenKey", "NtClose"]}\n');
    assert.equal(cuckooReader.sniff(jsonl, 'x.jsonl'), 0);
    assert.equal(capeReader.sniff(jsonl, 'x.jsonl'), 0);
  });

  test('progress is reported in bytes read', async () => {
    const path = fixture('cuckoo-1.2-full.json');
    const seen: number[] = [];
    await readOne(path, { onProgress: (n) => seen.push(n) });
    assert.equal(seen.at(-1), readFileSync(path).length);
  });
});
