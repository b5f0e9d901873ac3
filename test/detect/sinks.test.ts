import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Alert } from '../../src/detect/alerts.js';
import { ResponseHook } from '../../src/detect/response.js';
import { JsonLinesSink } from '../../src/detect/sinks/stream.js';
import { WebhookSink } from '../../src/detect/sinks/webhook.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-detect-sinks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function alert(pid: number, verdict: Alert['verdict'] = 'malicious'): Alert {
  return {
    type: 'alert',
    host: 'h',
    pid,
    process: '__proto__',
    verdict,
    reason: 'model',
    score: 1.5,
    threshold: 0,
    positive: '1',
    scores: { '0': -0.75, '1': 0.75 },
    rule_hits: [],
    top_ngrams: [],
    calls: 10,
    seconds: 0.5,
    truncated: false,
    high_risk_calls: 0,
  };
}

/** A local receiver that records JSON bodies; answers `status`. */
async function receiver(status = 200): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, bodies };
}

describe('alert sinks', () => {
  it('appends JSON lines to a file', async () => {
    const path = join(dir, 'alerts.jsonl');
    const s = JsonLinesSink.file(path);
    s.send(alert(1));
    s.send(alert(2));
    await s.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((a) => a.pid),
      [1, 2],
    );
    assert.equal(lines[0].process, '__proto__');
  });

  it('POSTs every alert to a webhook in order and reports failures', async () => {
    const ok = await receiver();
    const errors: string[] = [];
    try {
      const s = new WebhookSink(ok.url, (m) => errors.push(m));
      for (const pid of [1, 2, 3]) s.send(alert(pid));
      await s.close();
      assert.deepEqual(
        ok.bodies.map((b) => (b as Alert).pid),
        [1, 2, 3],
      );
      assert.equal(s.delivered, 3);
      assert.deepEqual(errors, []);
    } finally {
      ok.server.close();
    }
    const failing = await receiver(500);
    try {
      const failures: string[] = [];
      const s = new WebhookSink(failing.url, (m) => failures.push(m));
      s.send(alert(1));
      await s.close();
      assert.equal(s.failed, 1);
      assert.match(failures[0], /HTTP 500/);
    } finally {
      failing.server.close();
    }
  });
});

describe('response hook', () => {
  it('runs the command with the alert JSON on stdin, within the rate limit', async () => {
    const out = join(dir, 'responses.jsonl');
    const logs: string[] = [];
    const hook = new ResponseHook({
      exec: `cat >> '${out}'`,
      perMinute: 2,
      dryRun: false,
      minVerdict: 'malicious',
      log: (m) => logs.push(m),
    });
    hook.onAlert(alert(1));
    hook.onAlert(alert(2, 'suspicious')); // below --hook-on: ignored
    hook.onAlert(alert(3));
    hook.onAlert(alert(4)); // over 2 per minute: limited
    hook.onAlert(alert(5));
    await hook.close();
    const got = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).pid)
      .sort();
    assert.deepEqual(got, [1, 3]);
    assert.equal(hook.acted, 2);
    assert.equal(hook.limited, 2);
    assert.deepEqual(logs, []);
  });

  it('reports a failing command', async () => {
    const logs: string[] = [];
    const hook = new ResponseHook({
      exec: 'exit 3',
      perMinute: 10,
      dryRun: false,
      minVerdict: 'suspicious',
      log: (m) => logs.push(m),
    });
    hook.onAlert(alert(1, 'suspicious'));
    await hook.close();
    assert.equal(hook.failed, 1);
    assert.match(logs[0], /exited with status 3/);
  });

  it('dry run prints what it would do and does nothing', async () => {
    const rec = await receiver();
    const out = join(dir, 'never.txt');
    const logs: string[] = [];
    try {
      const hook = new ResponseHook({
        exec: `touch '${out}'`,
        webhook: rec.url,
        perMinute: 1,
        dryRun: true,
        minVerdict: 'malicious',
        log: (m) => logs.push(m),
      });
      hook.onAlert(alert(1));
      hook.onAlert(alert(2)); // rate-limited even in a dry run
      await hook.close();
      assert.equal(logs.length, 2);
      assert.match(logs[0], /dry-run: would run `touch .*` with the alert \(malicious h pid 1\)/);
      assert.match(logs[1], /dry-run: would POST the alert \(malicious h pid 1\) to http:\/\/127\.0\.0\.1/);
      assert.equal(hook.limited, 1);
      assert.deepEqual(rec.bodies, []);
      assert.throws(() => readFileSync(out));
    } finally {
      rec.server.close();
    }
  });
});
