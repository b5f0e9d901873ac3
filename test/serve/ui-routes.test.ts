// The analyst UI's routes (src/serve/routes/ui-*.ts) on the real server (CLI child process, random
// loopback port, read and write tokens), over a real store: every 6th row of malbehavd-v1.csv read
// by the project's CSV reader, plus hostile analyses (label `__proto__`, API names `__proto__` and
// `constructor`). Expected values are computed here from the stored traces, not by the routes' code.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { configFromFlags } from '../../src/features/config.js';
import { openSamples } from '../../src/ingest/source.js';
import { SampleStore } from '../../src/ingest/store.js';
import { createModel } from '../../src/learn/model.js';
import { parseRules } from '../../src/rules/load.js';
import { malbehavdCsv } from '../helpers/cli.js';
import { request, type ServerProcess, startServer, tempDir } from './server-process.js';

const WRITE = 'ui-routes-write-token-000000';
const READ = 'ui-routes-read-token-0000000';

const apisOf = (t: Trace) => t.processes.flatMap((p) => p.calls.map((c) => c.api));
/** The n-grams of a trace as the converter names them: API names joined by `_`, per process. */
function ngramNames(t: Trace, n: number): Set<string> {
  const out = new Set<string>();
  for (const p of t.processes)
    for (let i = 0; i + n <= p.calls.length; i++)
      out.add(
        p.calls
          .slice(i, i + n)
          .map((c) => c.api)
          .join('_'),
      );
  return out;
}
function countBy<T>(items: T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

const hostile: Trace[] = [0, 1, 2, 3].map((i) => ({
  id: `hostile-${i}`,
  label: '__proto__',
  format: 'jsonl',
  origin: `test:hostile#${i}`,
  processes: [
    {
      pid: 100 + i,
      name: 'constructor.exe',
      calls: [
        { api: '__proto__' },
        { api: 'constructor', args: new Map([['__proto__', `x${i}`]]) },
        ...Array.from({ length: i + 1 }, () => ({ api: 'NtClose' })),
      ],
    },
  ],
}));

describe('UI routes', () => {
  const tmp = tempDir();
  const db = join(tmp.dir, 'store.db');
  let server: ServerProcess;
  let stored: Trace[];
  const api = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${server.url}${path}`, { token: READ, ...init });

  before(async () => {
    const rows: Trace[] = [];
    let i = 0;
    for await (const t of openSamples({ data: [malbehavdCsv], format: 'csv', detail: 'full' }))
      if (i++ % 6 === 0) rows.push(t);
    stored = [...rows, ...hostile];
    const store = SampleStore.open(db);
    store.addBatch(stored.map((trace) => ({ trace })));
    store.close();
    const tokens = join(tmp.dir, 'tokens');
    writeFileSync(tokens, `${WRITE} write\n${READ} read\n`);
    // the served model, trained here: training through the server would add to its --db store
    const model = createModel(configFromFlags({}));
    for (const t of rows) model.train(t, t.label ?? '');
    model.save(join(tmp.dir, 'served.model'));
    server = await startServer([
      '--db',
      db,
      '--model',
      join(tmp.dir, 'served.model'),
      '--rules',
      join(tmp.dir, 'rules'),
      '--tokens',
      tokens,
    ]);
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('the page is public, with a policy keeping it to its server; the API needs a token', async () => {
    const page = await request(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(String(page.body))?.[1];
    assert.ok(script, 'index.html loads its bundle');
    const asset = await request(`${server.url}/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    const outside = await request(`${server.url}/assets/..%2f..%2fpackage.json`);
    assert.ok([400, 403, 404].includes(outside.status), `status ${outside.status}`);
    assert.doesNotMatch(JSON.stringify(outside.body), /"devDependencies"/);
    assert.equal((await request(`${server.url}/v1/stats`)).status, 401);
    assert.equal((await api('/v1/stats')).status, 200);
  });

  test('GET /v1/stats: the store as `stats --json`, hostile labels as plain keys', async () => {
    const r = await api('/v1/stats');
    assert.equal(r.body.samples, stored.length);
    const expected = countBy(stored, (t) => t.label ?? '');
    assert.deepEqual(Object.entries(r.body.labels).sort(), [...expected].sort());
    assert.ok(Object.hasOwn(r.body.labels, '__proto__'));
    assert.equal(
      r.body.calls.total,
      stored.reduce((n, t) => n + apisOf(t).length, 0),
    );
  });

  test('GET /v1/samples?feature=: the stored analyses containing the n-gram, per label', async () => {
    const dump = await api('/v1/model/dump?label=1&top=3');
    for (const { feature } of dump.body.dumps[0].features as Array<{ feature: string }>) {
      const ngram = feature.slice(feature.indexOf('$') + 1, feature.lastIndexOf('@'));
      const containing = stored.filter((t) => ngramNames(t, 3).has(ngram));
      const r = await api(`/v1/samples?feature=${encodeURIComponent(feature)}&limit=2`);
      assert.equal(r.status, 200);
      assert.equal(r.body.scanned, stored.length);
      assert.deepEqual(
        Object.entries(r.body.per_label).sort(),
        [...countBy(containing, (t) => t.label ?? '')].sort(),
      );
      for (const [label, n] of countBy(containing, (t) => t.label ?? ''))
        assert.equal(
          r.body.samples.filter((s: { label: string }) => s.label === label).length,
          Math.min(n, 2),
        );
      const origins = new Set(containing.map((t) => t.origin));
      for (const s of r.body.samples) assert.ok(origins.has(s.origin));
    }
    assert.equal((await api('/v1/samples')).status, 400);
  });

  test('GET /v1/samples/:origin: one stored analysis as a canonical trace; 404 for an unknown one', async () => {
    for (const t of [stored[3], hostile[2]]) {
      const r = await api(`/v1/samples/${encodeURIComponent(t.origin ?? '')}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.trace.id, t.id);
      assert.deepEqual(
        r.body.trace.processes.flatMap((p: { calls: Array<{ api: string }> }) => p.calls.map((c) => c.api)),
        apisOf(t),
      );
    }
    const h = await api(`/v1/samples/${encodeURIComponent('test:hostile#2')}`);
    assert.equal(h.body.trace.label, '__proto__');
    assert.ok(Object.hasOwn(h.body.trace.processes[0].calls[1].args, '__proto__'));
    const missing = await api('/v1/samples/nowhere%23row9');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /no stored analysis with origin "nowhere#row9"/);
  });

  test('POST /v1/rules/test: hits per label with intervals; problems at their line', async () => {
    // an API present in some analyses of both labels
    const api1 = 'NtQueryAttributesFile';
    const yaml = `id: t1\ntitle: queries attributes\nseverity: low\nverdict: suspicious\nmatch:\n  call:\n    api: ${api1}\n`;
    const r = await api('/v1/rules/test', { json: { yaml } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const expected = countBy(
      stored.filter((t) => apisOf(t).includes(api1)),
      (t) => t.label ?? '',
    );
    assert.ok(expected.size > 0);
    assert.deepEqual(Object.entries(r.body.rules[0].hits).sort(), [...expected].sort());
    const positives = stored.filter((t) => t.label === '1').length;
    assert.deepEqual([r.body.rules[0].tpr.k, r.body.rules[0].tpr.n], [expected.get('1') ?? 0, positives]);
    assert.ok(
      r.body.rules[0].tpr.lo <= r.body.rules[0].tpr.value &&
        r.body.rules[0].tpr.value <= r.body.rules[0].tpr.hi,
    );

    const bad = await api('/v1/rules/test', {
      json: { yaml: yaml.replace('severity: low', 'severity: dire') },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /rule\.yaml:3: severity/);
    assert.deepEqual(bad.body.problems.length, 1);
  });

  test('POST /v1/rules/draft: the n-gram as a rule that validates and hits what contains it', async () => {
    const dump = await api('/v1/model/dump?label=1&top=1');
    const feature = dump.body.dumps[0].features[0].feature as string;
    const r = await api('/v1/rules/draft', { json: { feature } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const parsed = parseRules(r.body.yaml, 'draft.yaml');
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.rules[0].id, r.body.id);
    assert.equal(parsed.rules[0].verdict, 'suspicious');
    assert.equal(r.body.apis.join('_'), feature.slice(feature.indexOf('$') + 1, feature.lastIndexOf('@')));
    const test = await api('/v1/rules/test', { json: { yaml: r.body.yaml } });
    const containing = stored.filter((t) => ngramNames(t, 3).has(r.body.apis.join('_')));
    assert.deepEqual(
      Object.entries(test.body.rules[0].hits).sort(),
      [...countBy(containing, (t) => t.label ?? '')].sort(),
    );
    const notNgram = await api('/v1/rules/draft', { json: { feature: 'something else' } });
    assert.equal(notNgram.status, 400);
  });

  test('POST /v1/rules/suggest: back-tested drafts whose YAML validates', async () => {
    const r = await api('/v1/rules/suggest', { json: { top: 3 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.samples, stored.length);
    assert.ok(r.body.suggestions.length > 0);
    for (const s of r.body.suggestions) {
      assert.deepEqual(parseRules(s.yaml, 's.yaml').problems, []);
      assert.ok(s.support > 0 && s.precision.n >= s.support);
    }
  });

  test('GET /v1/rules/:id/yaml: a saved rule comes back as the editor text', async () => {
    const yaml =
      'id: saved-1\ntitle: t\nseverity: high\nverdict: malicious\nmatch:\n  call:\n    api: NtClose\n';
    const put = await request(`${server.url}/v1/rules/saved-1`, {
      method: 'PUT',
      token: WRITE,
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const r = await api('/v1/rules/saved-1/yaml');
    assert.equal(r.status, 200);
    assert.equal(parseRules(r.body.yaml, 'x.yaml').rules[0].title, 't');
    assert.equal((await api('/v1/rules/absent/yaml')).status, 404);
  });

  test('POST /v1/eval: an evaluation of the store, with intervals and the early-detection curve', async () => {
    const r = await api('/v1/eval', {
      json: { method: 'perceptron', ngram: '2', split: 0.5, seed: 3, orders: 3, early: [5, 20] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const run = r.body.runs[0];
    assert.equal(run.method, 'perceptron');
    assert.equal(run.ngram, 2);
    assert.equal(r.body.data.samples, stored.length);
    assert.equal(run.tpr.n + run.fpr.n, run.n_test);
    assert.deepEqual(
      r.body.early.prefixes.map((p: { calls: number }) => p.calls),
      [5, 20],
    );
    assert.ok(r.body.early.prefixes[0].tpr.k <= r.body.early.prefixes[1].tpr.k);
    // three training orders: the run's own first, as `eval --orders 3 --seed 3`
    assert.deepEqual(run.orders.order_seeds, [3, 4, 5]);
    assert.equal(run.orders.accuracy.values[0].value, run.accuracy);
    assert.equal(run.orders.accuracy.values.length, 3);
    const tooMany = await api('/v1/eval', { json: { method: 'arow,cw,pa', orders: 40 } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error, /3 settings × 40 orders = 120 trainings; at most 100/);
    const bad = await api('/v1/eval', { json: { method: 'nosuch' } });
    assert.equal(bad.status, 400);
    assert.equal((await api('/v1/eval', { json: { dataset: 'nosuch' } })).status, 400);
  });

  test('POST /v1/eval: the server keeps answering while an evaluation runs; a second one is refused', async () => {
    let done = false;
    const evaluation = api('/v1/eval', {
      json: { method: 'perceptron,pa,pa1,arow,cw,nherd', ngram: '1-2', split: 0.5, seed: 1 },
    }).then((r) => {
      done = true;
      return r;
    });
    let answeredMeanwhile = 0;
    let conflict: number | undefined;
    while (!done) {
      const health = await request(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      if (!done) answeredMeanwhile++;
      if (conflict === undefined && !done) conflict = (await api('/v1/eval', { json: {} })).status;
    }
    const r = await evaluation;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.runs.length, 12);
    assert.ok(answeredMeanwhile >= 2, `answered ${answeredMeanwhile} requests during the evaluation`);
    assert.equal(conflict, 409, 'a second evaluation while one runs is refused');
  });

  test('GET /v1/alerts/recent: alerts of live events, newest first', async () => {
    const before = await api('/v1/alerts/recent');
    assert.deepEqual(before.body.alerts, []);
    const malware = stored.filter((t) => t.label === '1');
    const results = (
      await api('/v1/classify', { json: { traces: malware.map((t) => ({ id: t.id, calls: apisOf(t) })) } })
    ).body.results as Array<{ scores: Record<string, number> }>;
    const margins = results.map((x) => x.scores['1'] - x.scores['0']);
    const chosen = malware[margins.indexOf(Math.max(...margins))];
    const events = (pid: number) =>
      apisOf(chosen).map((apiName, i) => ({ host: 'h1', pid, process: 'a.exe', api: apiName, ts: 1000 + i }));
    const readOnly = await api('/v1/events', { json: { events: events(1) } });
    assert.equal(readOnly.status, 403);
    for (const pid of [1, 2]) {
      const sent = await request(`${server.url}/v1/events`, { token: WRITE, json: { events: events(pid) } });
      assert.equal(sent.status, 200);
      assert.ok(sent.body.alerts.length > 0);
    }
    const recent = await api('/v1/alerts/recent?limit=1');
    assert.equal(recent.body.alerts.length, 1);
    assert.equal(recent.body.alerts[0].pid, 2);
    const all = await api('/v1/alerts/recent');
    assert.deepEqual(
      all.body.alerts.map((a: { pid: number }) => a.pid),
      [...all.body.alerts.map((a: { pid: number }) => a.pid)].sort((a: number, b: number) => b - a),
    );
  });
});
