// Live detection and rules over HTTP: PUT /v1/rules/:id validated and written atomically,
// GET /v1/rules, POST /v1/events through the real detector, alerts in the answer and on the
// GET /v1/alerts Server-Sent Events stream.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { malbehavdTraces } from './data.js';
import { request, type ServerProcess, startServer, tempDir } from './server-process.js';

const RULE = `id: thread-in-other-process
title: A thread started in another process
severity: high
verdict: malicious
match:
  call:
    api: NtCreateThreadEx|CreateRemoteThread
`;

/** Reads Server-Sent Events from a stream until `count` alerts came. */
async function readAlerts(body: ReadableStream<Uint8Array>, count: number): Promise<unknown[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const alerts: unknown[] = [];
  while (alerts.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf('\n\n');
    while (end >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = /^event: alert\ndata: (.*)$/s.exec(block);
      if (data) alerts.push(JSON.parse(data[1]));
      end = text.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return alerts;
}

describe('rules and live detection', () => {
  let server: ServerProcess;
  const tmp = tempDir();
  const rulesDir = join(tmp.dir, 'rules');

  before(async () => {
    server = await startServer(['--model', join(tmp.dir, 'live.model'), '--rules', rulesDir]);
    const traces = await malbehavdTraces(10);
    const r = await request(`${server.url}/v1/train`, { json: { traces } });
    assert.equal(r.status, 200);
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('PUT /v1/rules/:id validates, writes atomically, and GET /v1/rules lists', async () => {
    assert.deepEqual((await request(`${server.url}/v1/rules`)).body.rules, []);
    const put = (id: string, body: string, type = 'application/yaml') =>
      request(`${server.url}/v1/rules/${id}`, { method: 'PUT', body, headers: { 'content-type': type } });
    const created = await put('thread-in-other-process', RULE);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(readFileSync(join(rulesDir, 'thread-in-other-process.yaml'), 'utf8'), RULE);
    const replaced = await put(
      'thread-in-other-process',
      RULE.replace('severity: high', 'severity: critical'),
    );
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.created, false);
    // as JSON too
    const asJson = await request(`${server.url}/v1/rules/json-rule`, {
      method: 'PUT',
      json: {
        id: 'json-rule',
        title: 'Sleeps',
        verdict: 'suspicious',
        severity: 'low',
        match: { call: { api: 'NtDelayExecution' } },
      },
    });
    assert.equal(asJson.status, 201, JSON.stringify(asJson.body));

    const unknownField = await put(
      'bad',
      'id: bad\ntitle: t\nverdict: malicious\nseverity: low\nmatch:\n  call:\n    apii: X\n',
    );
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error, /bad\.yaml:7: match\.call\.apii: unknown field "apii"/);
    const syntax = await put('bad', 'id: [unclosed\n');
    assert.equal(syntax.status, 400);
    const otherId = await put('other', RULE);
    assert.equal(otherId.status, 400);
    assert.match(otherId.body.error, /is not the id in the path/);
    for (const id of ['..%2Fescape', '.hidden', '%00nul']) {
      const r = await put(id, RULE);
      assert.equal(r.status, 400, id);
    }
    const listed = await request(`${server.url}/v1/rules`);
    assert.deepEqual(
      listed.body.rules.map((r: { id: string; severity: string }) => [r.id, r.severity]),
      [
        ['json-rule', 'low'],
        ['thread-in-other-process', 'critical'],
      ],
    );
    // no temporary files left behind, nothing outside the folder
    assert.deepEqual(readdirSync(rulesDir).sort(), ['json-rule.yaml', 'thread-in-other-process.yaml']);
    assert.ok(!existsSync(join(tmp.dir, 'escape.yaml')));
  });

  test('events go through the detector: alerts in the answer and on the SSE stream', async () => {
    const stream = await fetch(`${server.url}/v1/alerts`);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const streamed = readAlerts(stream.body!, 1);

    const events = [
      { host: 'h1', pid: 200, ppid: 1, process: 'dropper.exe', api: 'NtOpenProcess', ts: 1.0 },
      { host: 'h1', pid: 200, api: 'NtCreateThreadEx', args: { ProcessHandle: '0x1c' }, ts: 1.1 },
      { host: 'h1', api: 'NtClose' }, // no pid
      { host: 'h1', pid: 201, event: 'exit' },
    ];
    const r = await request(`${server.url}/v1/events`, { json: { events } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.accepted, 3);
    assert.equal(r.body.rejected, 1);
    assert.equal(r.body.errors[0].index, 2);
    assert.match(r.body.errors[0].error, /pid/);
    const ruleAlert = r.body.alerts.find((a: { pid: number }) => a.pid === 200);
    assert.ok(ruleAlert, JSON.stringify(r.body.alerts));
    assert.equal(ruleAlert.verdict, 'malicious');
    assert.deepEqual(
      ruleAlert.rule_hits.map((h: { rule: string }) => h.rule),
      ['thread-in-other-process'],
    );
    const [first] = await streamed;
    assert.deepEqual(first, r.body.alerts[0]);

    const m = await request(`${server.url}/metrics`);
    assert.match(m.body, /malgram_alerts_total\{level="malicious"\} [1-9]/);
    assert.match(m.body, /malgram_events_total 3/);
  });

  test('malformed event batches are a 400', async () => {
    for (const body of [{}, { events: [] }, { events: 'x' }]) {
      const r = await request(`${server.url}/v1/events`, { json: body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
  });
});
