import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DetectEvent } from '../../src/detect/events.js';
import { parseListenAddress } from '../../src/detect/inputs/address.js';
import { followEventFile } from '../../src/detect/inputs/follow.js';
import { listenHttp } from '../../src/detect/inputs/http.js';
import type { EventHandlers } from '../../src/detect/inputs/lines.js';
import { listenTcp } from '../../src/detect/inputs/tcp.js';

function recorder() {
  const events: DetectEvent[] = [];
  const bad: Array<[string, string]> = [];
  const handlers: EventHandlers = { onEvent: (e) => events.push(e), onMalformed: (w, r) => bad.push([w, r]) };
  return { events, bad, handlers };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'malgram-detect-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('listen addresses', () => {
  it('defaults to loopback and checks the port', () => {
    assert.deepEqual(parseListenAddress('9000', '--x'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseListenAddress(':0', '--x'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:80', '--x'), { host: '::1', port: 80 });
    assert.deepEqual(parseListenAddress('0.0.0.0:1', '--x'), { host: '0.0.0.0', port: 1 });
    assert.throws(() => parseListenAddress('host', '--x'), /--x: expected HOST:PORT/);
    assert.throws(() => parseListenAddress('h:70000', '--x'), /out of range/);
  });
});

describe('TCP input', () => {
  it('reads newline-delimited events from several connections, each with its own line numbers', async () => {
    const r = recorder();
    const l = await listenTcp({ host: '127.0.0.1', port: 0 }, r.handlers, 1024);
    try {
      const send = (text: string) =>
        new Promise<void>((resolve, reject) => {
          const s = connect(l.address.port, '127.0.0.1', () => s.end(text));
          s.on('close', () => resolve());
          s.on('error', reject);
        });
      await Promise.all([
        send('{"host":"a","pid":1,"api":"X"}\n{"host":"a","pid":1,"api":"Y"}\n'),
        send('bad\n{"host":"b","pid":2,"api":"Z"}'),
      ]);
      await until(() => r.events.length === 3, '3 events');
      assert.deepEqual(r.events.map((e) => (e.kind === 'call' ? `${e.host}/${e.api}` : '')).sort(), [
        'a/X',
        'a/Y',
        'b/Z',
      ]);
      assert.equal(r.bad.length, 1);
      assert.match(r.bad[0][0], /^tcp:127\.0\.0\.1:\d+#\d+:1$/);
    } finally {
      await l.close();
    }
  });
});

describe('HTTP input', () => {
  it('accepts POST /v1/events NDJSON and answers counts; rejects other paths and methods', async () => {
    const r = recorder();
    const l = await listenHttp({ host: '127.0.0.1', port: 0 }, r.handlers, 1024, 10_000);
    const base = `http://127.0.0.1:${l.address.port}`;
    try {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        body: '{"pid":1,"api":"A"}\n{"pid":1}\n{"pid":1,"api":"B"}\n',
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { accepted: 2, malformed: 1 });
      assert.equal(r.events.length, 2);
      assert.match(r.bad[0][0], /^http:127\.0\.0\.1:\d+#1:2$/);
      assert.equal((await fetch(`${base}/v1/events`)).status, 405);
      assert.equal((await fetch(`${base}/nope`, { method: 'POST', body: '' })).status, 404);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const big = await fetch(`${base}/v1/events`, {
        method: 'POST',
        body: `${'{"pid":1,"api":"A"}\n'.repeat(1000)}`,
      });
      assert.equal(big.status, 413);
    } finally {
      await l.close();
    }
  });
});

describe('following a file', () => {
  it('reads appended lines, starts over after truncation and follows a rotated file', async () => {
    const path = join(dir, 'events.log');
    writeFileSync(path, '{"pid":1,"api":"A"}\n');
    const r = recorder();
    const notices: string[] = [];
    const stop = new AbortController();
    const done = followEventFile(path, r.handlers, {
      maxLineBytes: 1024,
      pollMs: 20,
      signal: stop.signal,
      onNotice: (m) => notices.push(m),
    });
    try {
      await until(() => r.events.length === 1, 'the first event');
      appendFileSync(path, '{"pid":1,"api":"B"}\n{"pid":1,');
      await until(() => r.events.length === 2, 'the appended event');
      appendFileSync(path, '"api":"C"}\n'); // the rest of a half-written line
      await until(() => r.events.length === 3, 'the completed line');
      writeFileSync(path, '{"pid":2,"api":"D"}\n'); // truncated and rewritten (shorter)
      await until(() => r.events.length === 4, 'the event after truncation');
      renameSync(path, `${path}.1`);
      appendFileSync(`${path}.1`, '{"pid":2,"api":"E"}\n'); // late write to the rotated file
      writeFileSync(path, 'oops\n{"pid":3,"api":"F"}\n');
      await until(() => r.events.length === 6, 'the events of the new file');
    } finally {
      stop.abort();
      await done;
    }
    assert.deepEqual(
      r.events.map((e) => (e.kind === 'call' ? e.api : '')),
      ['A', 'B', 'C', 'D', 'E', 'F'],
    );
    assert.equal(notices.length, 2);
    assert.match(notices[0], /truncated/);
    assert.match(notices[1], /rotated/);
    assert.deepEqual(r.bad, [[`${path}#2:1`, r.bad[0][1]]]);
  });
});
