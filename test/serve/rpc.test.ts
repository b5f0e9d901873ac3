// The Jubatus-compatible MessagePack-RPC endpoint: our own client (written from the protocol
// description) over every method, errors and transport cases, and a Python client on Debian's
// python3-msgpack speaking raw MessagePack-RPC, whose scores must equal the HTTP API's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decode, decodeMulti, encode } from '@msgpack/msgpack';
import type { Datum } from '../../src/core/datum.js';
import { traceFromJson } from '../../src/ingest/readers/jsonl.js';
import { createModel } from '../../src/learn/model.js';
import { RpcClient, type RpcError } from '../../src/serve/rpc/client.js';
import { FrameReader } from '../../src/serve/rpc/frame-reader.js';
import { assertOldMsgpack } from '../helpers/old-msgpack.js';
import { type JsonTrace, malbehavdTraces, unlabelled } from './data.js';
import { request, type ServerProcess, startServer, tempDir } from './server-process.js';

const fixtures = fileURLToPath(new URL('../fixtures/serve/', import.meta.url));
const configPath = join(fixtures, 'jubatus-arow.json');
const configJson = readFileSync(configPath, 'utf8');

type RpcDatum = [Array<[string, string]>, Array<[string, number]>, Array<[string, Uint8Array]>];

/** The datum a Jubatus client would send for a trace (the model's own trace-to-datum mapping). */
function datumOf(t: JsonTrace): RpcDatum {
  const d: Datum = createModel(configJson).traceDatum(traceFromJson(t, { detail: 'api', processes: 'tree' }));
  return [d.stringValues, d.numValues, d.binaryValues ?? []];
}

function runPython(job: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [join(fixtures, 'jubatus_rpc_client.py')]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(JSON.stringify(job));
  });
}

/** Sends raw bytes and collects whatever comes back until the server closes or `ms` pass. */
function rawExchange(
  port: number,
  chunks: Buffer[],
  ms: number,
  gapMs = 0,
): Promise<{ replies: unknown[]; closed: boolean }> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    let closed = false;
    const socket = connect({ port, host: '127.0.0.1' }, async () => {
      for (const c of chunks) {
        socket.write(c);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    socket.on('data', (b: Buffer) => got.push(b));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
    });
    setTimeout(() => {
      socket.destroy();
      resolve({ replies: [...decodeMulti(Buffer.concat(got))], closed });
    }, ms);
  });
}

/** Sends the calls on one connection and returns each reply's raw bytes, in msgid order. */
function rawReplies(port: number, calls: Array<[string, unknown[]]>): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader(1 << 20);
    const frames: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      for (const [i, [method, params]] of calls.entries()) socket.write(encode([0, i, method, params]));
    });
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) frames.push(Buffer.from(f));
      if (frames.length === calls.length) {
        socket.destroy();
        const id = (f: Buffer) => (decode(f) as number[])[1];
        resolve(frames.sort((a, b) => id(a) - id(b)));
      }
    });
  });
}

describe('MessagePack-RPC endpoint', () => {
  let server: ServerProcess;
  let port: number;
  let client: RpcClient;
  let traces: JsonTrace[];
  const tmp = tempDir();

  before(async () => {
    traces = await malbehavdTraces(20); // ~129 traces
    server = await startServer([
      '--model',
      join(tmp.dir, 'rpc.model'),
      '--rpc-port',
      '0',
      '--rpc-config',
      configPath,
      '--body-limit',
      '1m',
    ]);
    port = server.rpcPort!;
    client = await RpcClient.connect(port);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    tmp.cleanup();
  });

  test('a Python client (python3-msgpack, raw MessagePack-RPC) trains and classifies; scores equal the HTTP API', async () => {
    const train = traces.filter((_, i) => i % 3 !== 0);
    const held = traces.filter((_, i) => i % 3 === 0);
    const py = await runPython({
      port,
      train: train.map((t) => [t.label, datumOf(t)]),
      classify: held.map(datumOf),
    });
    assert.equal(py.code, 0, py.stderr);
    const out = JSON.parse(py.stdout);
    assert.equal(out.config, configJson);
    assert.equal(out.trained, train.length);
    const http = await request(`${server.url}/v1/classify`, { json: { traces: held.map(unlabelled) } });
    assert.equal(http.status, 200);
    assert.equal(out.classify.length, held.length);
    let nonZero = 0;
    for (const [i, estimates] of out.classify.entries()) {
      const rpcScores = Object.fromEntries(estimates as Array<[string, number]>);
      assert.deepEqual(rpcScores, http.body.results[i].scores, `trace ${i}`);
      if (Object.values(rpcScores).some((s) => s !== 0)) nonZero++;
    }
    assert.ok(nonZero > held.length / 2, 'the model learned something');
    const counts = new Map<string, number>();
    for (const t of train) counts.set(t.label!, (counts.get(t.label!) ?? 0) + 1);
    assert.deepEqual(new Map(Object.entries(out.labels)), counts);
  });

  test('labels: set_label, get_labels, delete_label, with Jubatus results', async () => {
    const before = (await client.call('get_labels', '')) as Record<string, number>;
    assert.equal(await client.call('set_label', '', 'family-x'), true);
    assert.equal(await client.call('set_label', '', 'family-x'), false);
    const withNew = (await client.call('get_labels', '')) as Record<string, number>;
    assert.deepEqual(withNew, { ...before, 'family-x': 0 });
    const [estimates] = (await client.call('classify', '', [datumOf(traces[0])])) as Array<
      Array<[string, number]>
    >;
    assert.deepEqual(estimates.map(([l]) => l).sort(), [...Object.keys(before), 'family-x'].sort());
    assert.equal(estimates.find(([l]) => l === 'family-x')![1], 0);
    assert.equal(await client.call('delete_label', '', 'family-x'), true);
    assert.equal(await client.call('delete_label', '', 'family-x'), false);
    assert.deepEqual(await client.call('get_labels', ''), before);
  });

  test('get_config, get_status, save and load by id (Jubatus file naming and id rules)', async () => {
    assert.equal(await client.call('get_config', ''), configJson);
    const status = (await client.call('get_status', '')) as Record<string, Record<string, string>>;
    const key = `127.0.0.1_${port}`;
    assert.deepEqual(Object.keys(status), [key]);
    assert.equal(status[key].type, 'classifier');
    assert.equal(status[key].num_classes, '2');
    const saved = (await client.call('save', '', 'snap')) as Record<string, string>;
    const path = join(tmp.dir, `127.0.0.1_${port}_classifier_snap.jubatus`);
    assert.deepEqual(saved, { [key]: path });
    assert.ok(existsSync(path));
    // a Jubatus model file (jubatus-reference.md §5): magic, then system_data with the save id and config
    const file = readFileSync(path);
    assert.equal(file.subarray(0, 8).toString('latin1'), 'jubatus\0');
    const system = decode(file.subarray(48, 48 + Number(file.readBigUInt64BE(32)))) as unknown[];
    assert.deepEqual([system[0], system[2], system[3], system[4]], [1, 'classifier', 'snap', configJson]);
    const labels = await client.call('get_labels', '');
    await client.call('train', '', [
      ['1', datumOf(traces[5])],
      ['extra', datumOf(traces[6])],
    ]);
    assert.notDeepEqual(await client.call('get_labels', ''), labels);
    assert.equal(await client.call('load', '', 'snap'), true);
    assert.deepEqual(await client.call('get_labels', ''), labels);
    for (const id of ['', 'a/b', '../x', 'tab\there', 'é']) {
      await assert.rejects(client.call('save', '', id), (e: RpcError) => typeof e.error === 'string', id);
    }
    await assert.rejects(client.call('load', '', 'never-saved'), /no such model file/);
  });

  test('replies use only the old MessagePack types that Jubatus clients (msgpack-c 0.5.9) read: no str 8', async () => {
    const label = `family-${'x'.repeat(33)}`; // 40 bytes: str 8 in today's spec
    const replies = await rawReplies(port, [
      ['set_label', ['', label]],
      ['classify', ['', [datumOf(traces[0])]]],
      ['get_labels', ['']],
      ['get_config', ['']],
      ['get_status', ['']],
      ['save', ['', 'old-spec']],
      ['delete_label', ['', label]],
    ]);
    for (const bytes of replies) assertOldMsgpack(bytes);
    const [, , error, [estimates]] = decode(replies[1]) as [
      number,
      number,
      unknown,
      Array<Array<[string, number]>>,
    ];
    assert.equal(error, null);
    assert.ok(estimates.some(([l]) => l === label));
    const saved = Object.values((decode(replies[5]) as [number, number, null, Record<string, string>])[3]);
    assert.ok(saved[0].length > 31 && saved[0].length < 256, saved[0]); // a str 8 length before
    assert.equal((decode(replies[6]) as unknown[])[3], true);
  });

  test('errors: 1 for an unknown method, 2 with a message for bad arguments, strings otherwise', async () => {
    await assert.rejects(client.call('no_such_method', ''), (e: RpcError) => e.error === 1);
    const bad: Array<[string, unknown[]]> = [
      ['train', ['', 'not a list']],
      ['train', ['', [['label']]]],
      ['train', ['', [['1', [[['k', 5]], [], []]]]]], // string value not a string
      ['classify', ['', [[[], [['n', 'x']], []]]]], // num value not a number
      ['classify', ['']], // missing the data
      ['get_labels', []], // missing the name
    ];
    for (const [method, params] of bad) {
      await assert.rejects(
        client.call(method, ...(params as never[])),
        (e: RpcError) => e.error === 2 && typeof e.result === 'string' && e.result.length > 0,
        `${method} ${JSON.stringify(params)}`,
      );
    }
    await assert.rejects(
      client.call('train', '', [['', datumOf(traces[0])]]),
      (e: RpcError) => e.error === 2,
    );
    // the connection is still usable after errors
    assert.equal(typeof (await client.call('get_config', '')), 'string');
  });

  test('transport: pipelined calls, a request split byte by byte, several requests in one packet', async () => {
    const datum = datumOf(traces[1]);
    // 50 pipelined calls on one connection: every answer matched to its call
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 ? client.call('classify', '', [datum]) : client.call('get_config', ''),
      ),
    );
    for (const [i, a] of answers.entries()) {
      if (i % 2) assert.equal((a as unknown[][]).length, 1);
      else assert.equal(a, configJson);
    }
    // byte by byte
    const req = Buffer.from(encode([0, 7, 'get_config', ['']]));
    const split = await rawExchange(
      port,
      [...req].map((b) => Buffer.from([b])),
      800,
      5,
    );
    assert.deepEqual(split.replies, [[1, 7, null, configJson]]);
    // three requests in one packet, the last one cut in two packets
    const three = Buffer.concat([
      encode([0, 1, 'get_config', ['']]),
      encode([0, 2, 'classify', ['', [datum]]]),
      encode([0, 3, 'get_labels', ['']]),
    ]);
    const packed = await rawExchange(
      port,
      [three.subarray(0, three.length - 3), three.subarray(three.length - 3)],
      800,
    );
    assert.deepEqual(
      packed.replies.map((r) => (r as unknown[]).slice(0, 3)),
      [
        [1, 1, null],
        [1, 2, null],
        [1, 3, null],
      ],
    );
    // a notification gets no answer
    const note = await rawExchange(port, [Buffer.from(encode([2, 'get_config', ['']]))], 500);
    assert.deepEqual(note.replies, []);
  });

  test('transport: an oversized message and non-MessagePack bytes close the connection', async () => {
    const huge = Buffer.from(
      encode([0, 1, 'classify', ['', [[[['api_call', 'x'.repeat(2 * 1024 * 1024)]], [], []]]]]),
    );
    const big = await rawExchange(port, [huge.subarray(0, 64 * 1024)], 800); // the header alone says too big
    assert.ok(big.closed);
    assert.deepEqual(big.replies, []);
    const junk = await rawExchange(port, [Buffer.from([0xc1, 0x00, 0x01])], 800);
    assert.ok(junk.closed);
    const notRpc = await rawExchange(port, [Buffer.from(encode({ hello: 'world' }))], 800);
    assert.ok(notRpc.closed);
    // the server is fine
    assert.equal(await client.call('get_config', ''), configJson);
    const metrics = await request(`${server.url}/metrics`);
    assert.match(metrics.body, /malgram_rpc_calls_total\{method="classify",outcome="ok"\} \d+/);
    assert.match(metrics.body, /malgram_rpc_calls_total\{method="\(unknown\)",outcome="error"\} \d+/);
  });

  test('clear empties the model', async () => {
    assert.equal(await client.call('clear', ''), true);
    assert.deepEqual(await client.call('get_labels', ''), {});
    assert.equal((await request(`${server.url}/v1/model`)).body.samples, 0);
  });
});
