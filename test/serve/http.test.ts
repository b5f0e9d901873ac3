// The HTTP API end to end: the real server (CLI child process) on a random loopback port, no
// tokens (loopback only), real malbehavd traces.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStoreTraces } from '../../src/ingest/store.js';
import { malbehavdCsv } from '../helpers/cli.js';
import { type JsonTrace, malbehavdTraces, unlabelled } from './data.js';
import { request, type ServerProcess, startServer, tempDir } from './server-process.js';

const BODY_LIMIT = 64 * 1024;

describe('HTTP API', () => {
  let server: ServerProcess;
  let traces: JsonTrace[];
  const tmp = tempDir();
  const modelPath = join(tmp.dir, 'served.model');
  const dbPath = join(tmp.dir, 'samples.db');

  before(async () => {
    traces = await malbehavdTraces(25); // ~103 traces, both labels
    server = await startServer([
      '--model',
      modelPath,
      '--db',
      dbPath,
      '--body-limit',
      String(BODY_LIMIT),
      '--upload-limit',
      '3m',
    ]);
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('says on stderr that it listens on loopback only without tokens; /healthz is ready', async () => {
    assert.match(server.stderr(), /no tokens configured: listening on loopback only/);
    const r = await request(`${server.url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
  });

  test('train then classify: labelled traces train, results follow classify --json', async () => {
    const train = traces.filter((_, i) => i % 2 === 0);
    const r = await request(`${server.url}/v1/train`, { json: { traces: train } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.trained, train.length);
    const test = traces.filter((_, i) => i % 2 === 1);
    const c = await request(`${server.url}/v1/classify`, { json: { traces: test.map(unlabelled) } });
    assert.equal(c.status, 200);
    assert.equal(c.body.results.length, test.length);
    let correct = 0;
    for (const [i, res] of c.body.results.entries()) {
      assert.equal(res.id, test[i].id);
      assert.deepEqual(Object.keys(res.scores).sort(), ['0', '1']);
      const best = res.scores['1'] > res.scores['0'] ? '1' : '0';
      assert.equal(res.predicted, best);
      if (res.predicted === test[i].label) correct++;
    }
    // a linear model on API 3-grams separates this data set far better than chance
    assert.ok(correct / test.length > 0.7, `accuracy ${correct}/${test.length}`);
    // --db: the trained traces are kept, labelled, in the sample store
    const stored = [...openStoreTraces(dbPath)];
    assert.deepEqual(
      stored.map((t) => [t.id, t.label, t.processes[0].calls.length]),
      train.map((t) => [t.id, t.label, t.calls.length]),
    );
  });

  test('classify one trace with processes, and one with "__proto__" as an API name and label', async () => {
    const t = traces[1];
    const c = await request(`${server.url}/v1/classify`, {
      json: {
        traces: [{ id: 'p', processes: [{ pid: 1, name: 'a.exe', calls: t.calls.map((api) => ({ api })) }] }],
      },
    });
    assert.equal(c.status, 200);
    const flat = await request(`${server.url}/v1/classify`, {
      json: { traces: [{ id: 'p', calls: t.calls }] },
    });
    assert.deepEqual(c.body.results[0].scores, flat.body.results[0].scores);
    const hostile = await request(`${server.url}/v1/train`, {
      json: { traces: [{ id: 'x', label: '__proto__', calls: ['__proto__', 'constructor', '__proto__'] }] },
    });
    assert.equal(hostile.status, 200);
    const h = await request(`${server.url}/v1/classify`, {
      json: { traces: [{ id: 'x', calls: ['__proto__', 'constructor', '__proto__'] }] },
    });
    assert.equal(h.status, 200);
    assert.ok(Object.hasOwn(h.body.results[0].scores, '__proto__'));
    const del = await request(`${server.url}/v1/model`);
    assert.equal(new Map(Object.entries(del.body.labels)).get('__proto__'), 1);
  });

  test('malformed bodies get a 400 naming what is wrong', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /must have required property 'traces'/],
      [{ traces: [] }, /must NOT have fewer than 1 items/],
      [{ traces: [{ calls: ['A'] }] }, /traces\/0 must have required property 'id'/],
      [{ traces: [{ id: 'a' }] }, /must have required property 'calls'/],
      [{ traces: [{ id: 'a', calls: [''] }] }, /calls\/0/],
      [{ traces: [{ id: 'a', calls: [{ args: {} }] }] }, /calls\/0/],
    ];
    for (const [body, message] of cases) {
      const r = await request(`${server.url}/v1/classify`, { json: body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.error, message);
    }
    const notJson = await request(`${server.url}/v1/classify`, {
      body: '{"traces": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error, /JSON/);
    const unlabelledTrain = await request(`${server.url}/v1/train`, {
      json: { traces: [unlabelled(traces[0])] },
    });
    assert.equal(unlabelledTrain.status, 400);
    assert.match(unlabelledTrain.body.error, /traces\[0\]: no label/);
    const wrongType = await request(`${server.url}/v1/classify`, {
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(wrongType.status, 415);
  });

  test('a JSON body over --body-limit is refused with 413', async () => {
    const big = { traces: [{ id: 'big', calls: Array.from({ length: 10_000 }, () => 'NtReadFile') }] };
    assert.ok(JSON.stringify(big).length > BODY_LIMIT);
    const r = await request(`${server.url}/v1/classify`, { json: big });
    assert.equal(r.status, 413);
  });

  test('a data-set upload larger than the JSON body limit is streamed to disk and classified', async () => {
    const bytes = readFileSync(malbehavdCsv);
    assert.ok(bytes.length > 10 * BODY_LIMIT);
    const r = await request(`${server.url}/v1/classify?format=csv`, {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.results.length, 2570);
    assert.equal(r.body.results[0].id, traces[0].id);
    // the same trace classified from JSON gets the same scores
    const one = await request(`${server.url}/v1/classify`, { json: { traces: [unlabelled(traces[0])] } });
    assert.deepEqual(r.body.results[0].scores, one.body.results[0].scores);
  });

  test('a real sandbox report uploaded gzip-compressed is read by its reader', async () => {
    const report = join(malbehavdCsv, '..', 'reports', 'capev2-2.4-full_41ce492f.json.gz');
    const r = await request(`${server.url}/v1/classify`, {
      body: readFileSync(report),
      headers: { 'content-type': 'application/gzip' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.results.length, 1);
    assert.match(r.body.results[0].id, /^[0-9a-f]{64}$/);
  });

  test('an upload no reader can read is a 400 naming the problem', async () => {
    const r = await request(`${server.url}/v1/classify`, {
      body: Buffer.from('MZ\x90\x00 not a report'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^upload: unknown format/);
  });

  test('an upload over --upload-limit is refused with 413', async () => {
    const report = join(malbehavdCsv, '..', 'reports', 'capev2-2.4-lite_bits-bat_9088f800.json');
    assert.ok(statSync(report).size > 2 * 1024 * 1024);
    const r = await request(`${server.url}/v1/classify`, {
      body: Buffer.concat([readFileSync(report), readFileSync(report)]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.status, 413);
    assert.match(r.body.error, /upload larger than/);
  });

  test('explain lists the features behind a verdict, largest contribution first', async () => {
    const r = await request(`${server.url}/v1/explain`, { json: { trace: unlabelled(traces[3]), top: 5 } });
    assert.equal(r.status, 200);
    assert.ok(r.body.contributions.length > 0 && r.body.contributions.length <= 5);
    const sizes = r.body.contributions.map((c: { contribution: number }) => Math.abs(c.contribution));
    assert.deepEqual(
      sizes,
      [...sizes].sort((a: number, b: number) => b - a),
    );
    assert.match(r.body.contributions[0].feature, /^api_call\$/);
  });

  test('model, dump: config, labels with counts, features by weight', async () => {
    const m = await request(`${server.url}/v1/model`);
    assert.equal(m.status, 200);
    assert.equal(m.body.method, 'AROW');
    const counts = [...new Map<string, number>(Object.entries(m.body.labels)).values()];
    assert.equal(
      m.body.samples,
      counts.reduce((a, b) => a + b, 0),
    );
    assert.equal(counts.length, 3); // "0", "1", "__proto__"
    const d = await request(`${server.url}/v1/model/dump?label=1&top=7`);
    assert.equal(d.status, 200);
    const ws = d.body.dumps[0].features.map((f: { weight: number }) => f.weight);
    assert.equal(ws.length, 7);
    assert.deepEqual(
      ws,
      [...ws].sort((a: number, b: number) => b - a),
    );
    const bottom = await request(`${server.url}/v1/model/dump?label=1&top=3&bottom=true`);
    assert.ok(bottom.body.dumps[0].features[0].weight <= ws[6]);
    const unknown = await request(`${server.url}/v1/model/dump?label=nope`);
    assert.equal(unknown.status, 400);
    const badTop = await request(`${server.url}/v1/model/dump?top=-1`);
    assert.equal(badTop.status, 400);
  });

  test('save and load: own file, named copies, names that would escape the folder refused', async () => {
    const own = await request(`${server.url}/v1/model/save`, { method: 'POST' });
    assert.equal(own.status, 200);
    assert.ok(existsSync(modelPath));
    const copy = await request(`${server.url}/v1/model/save`, { json: { name: 'snapshot-1.model' } });
    assert.equal(copy.status, 200);
    assert.equal(copy.body.path, join(tmp.dir, 'snapshot-1.model'));
    const before = (await request(`${server.url}/v1/model`)).body.samples;
    await request(`${server.url}/v1/train`, { json: { traces: traces.slice(0, 3) } });
    assert.equal((await request(`${server.url}/v1/model`)).body.samples, before + 3);
    const load = await request(`${server.url}/v1/model/load`, { json: { name: 'snapshot-1.model' } });
    assert.equal(load.status, 200);
    assert.equal((await request(`${server.url}/v1/model`)).body.samples, before);
    for (const name of ['../escape.model', '/etc/passwd', 'a/b', '..', '.hidden', 'nul\u0000byte', '']) {
      const s = await request(`${server.url}/v1/model/save`, { json: { name } });
      assert.equal(s.status, 400, name);
      const l = await request(`${server.url}/v1/model/load`, { json: { name } });
      assert.equal(l.status, 400, name);
    }
    assert.ok(!existsSync(join(tmp.dir, '..', 'escape.model')));
    const missing = await request(`${server.url}/v1/model/load`, { json: { name: 'absent.model' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error, /no such model file/);
  });

  test('openapi.json documents every route; metrics count requests, latencies and trained samples', async () => {
    const o = await request(`${server.url}/openapi.json`);
    assert.equal(o.status, 200);
    const routes = [
      '/healthz',
      '/metrics',
      '/v1/classify',
      '/v1/explain',
      '/v1/train',
      '/v1/model',
      '/v1/model/dump',
    ];
    routes.push(
      '/v1/model/save',
      '/v1/model/load',
      '/v1/events',
      '/v1/alerts',
      '/v1/rules',
      '/v1/rules/{id}',
    );
    for (const path of routes) assert.ok(Object.hasOwn(o.body.paths, path), path);
    assert.ok(o.body.paths['/v1/classify'].post.requestBody.content['application/json']);
    const m = await request(`${server.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(
      m.body,
      /malgram_http_requests_total\{method="POST",route="\/v1\/classify",status="200"\} \d+/,
    );
    assert.match(
      m.body,
      /malgram_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/classify"\}/,
    );
    const trained = /malgram_samples_trained_total (\d+)/.exec(m.body);
    assert.ok(trained && Number(trained[1]) >= 55, m.body.slice(0, 200));
  });

  test('unknown routes are 404 with a message', async () => {
    const r = await request(`${server.url}/v1/nothing`);
    assert.equal(r.status, 404);
    assert.match(r.body.error, /no route GET \/v1\/nothing/);
  });
});
