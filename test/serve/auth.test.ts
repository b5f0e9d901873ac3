// Authentication and limits: tokens from a file and from MALGRAM_TOKENS, every outcome (no token,
// wrong token, read token on a write route, write token), the loopback-only rule without tokens,
// and the per-client request-rate limit.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TokenSet } from '../../src/serve/auth.js';
import { runCli } from '../helpers/cli.js';
import { malbehavdTraces, unlabelled } from './data.js';
import { request, type ServerProcess, startServer, tempDir } from './server-process.js';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const ENV_WRITE = 'env-write-token-0123456789';
const LIMITED = 'limited-read-token-0123456789';
const RATE_LIMIT = 40;

describe('authentication', () => {
  let server: ServerProcess;
  const tmp = tempDir();

  before(async () => {
    const tokens = join(tmp.dir, 'tokens');
    writeFileSync(tokens, `# scope per token\n${READ} read\n${WRITE} write\n\n${LIMITED} read\n`);
    server = await startServer(
      ['--model', join(tmp.dir, 'm.model'), '--tokens', tokens, '--rate-limit', String(RATE_LIMIT)],
      { MALGRAM_TOKENS: `${ENV_WRITE}:write` },
    );
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('every route: no token 401, wrong token 401, read token 403 on write routes, right scope passes', async () => {
    const [t] = await malbehavdTraces(1000);
    const routes: Array<{ method: string; path: string; json?: unknown; scope: 'read' | 'write' }> = [
      { method: 'POST', path: '/v1/classify', json: { traces: [unlabelled(t)] }, scope: 'read' },
      { method: 'POST', path: '/v1/explain', json: { trace: unlabelled(t) }, scope: 'read' },
      { method: 'GET', path: '/v1/model', scope: 'read' },
      { method: 'GET', path: '/v1/model/dump', scope: 'read' },
      { method: 'GET', path: '/metrics', scope: 'read' },
      { method: 'POST', path: '/v1/train', json: { traces: [t] }, scope: 'write' },
      { method: 'POST', path: '/v1/model/save', json: {}, scope: 'write' },
      { method: 'POST', path: '/v1/model/load', json: { name: 'm.model' }, scope: 'write' },
    ];
    for (const r of routes) {
      const url = `${server.url}${r.path}`;
      const none = await request(url, { method: r.method, json: r.json });
      assert.equal(none.status, 401, `${r.path} without token`);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      const wrong = await request(url, { method: r.method, json: r.json, token: `${WRITE}x` });
      assert.equal(wrong.status, 401, `${r.path} wrong token`);
      assert.match(wrong.body.error, /unknown token/);
      const read = await request(url, { method: r.method, json: r.json, token: READ });
      assert.equal(read.status, r.scope === 'read' ? 200 : 403, `${r.path} read token`);
      if (r.scope === 'write') assert.match(read.body.error, /needs "write"/);
      for (const token of [WRITE, ENV_WRITE]) {
        const ok = await request(url, { method: r.method, json: r.json, token });
        assert.equal(ok.status, 200, `${r.path} write token: ${JSON.stringify(ok.body)}`);
      }
    }
  });

  test('health check and API document need no token', async () => {
    assert.equal((await request(`${server.url}/healthz`)).status, 200);
    assert.equal((await request(`${server.url}/openapi.json`)).status, 200);
  });

  test('a malformed Authorization header is a 401', async () => {
    for (const value of ['Basic abc', 'Bearer', `Bearer ${READ} extra`, READ]) {
      const r = await request(`${server.url}/v1/model`, { headers: { authorization: value } });
      assert.equal(r.status, 401, value);
    }
  });

  test('requests over the rate limit get 429, per client', async () => {
    let limited = 0;
    for (let i = 0; i < RATE_LIMIT + 5; i++) {
      const r = await request(`${server.url}/v1/model`, { token: LIMITED });
      if (r.status === 429) limited++;
      else assert.equal(r.status, 200);
    }
    assert.equal(limited, 5);
    // another client still passes
    assert.equal((await request(`${server.url}/v1/model`, { token: READ })).status, 200);
    // invented tokens count as their address, not as fresh clients: 401 until the address's allowance is spent
    const statuses = new Set<number>();
    for (let i = 0; i < RATE_LIMIT + 5; i++)
      statuses.add(
        (await request(`${server.url}/v1/model`, { token: `invented-${i}-0123456789abcdef` })).status,
      );
    assert.deepEqual([...statuses].sort(), [401, 429]);
  });
});

describe('listening without tokens', () => {
  test('a non-loopback --host without tokens is refused (exit 1, says why)', async () => {
    const tmp = tempDir();
    try {
      const r = await runCli(
        ['serve', '--host', '0.0.0.0', '--port', '0', '--model', join(tmp.dir, 'm.model')],
        {
          env: { MALGRAM_TOKENS: '' },
        },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without tokens/);
    } finally {
      tmp.cleanup();
    }
  });

  test('a token file with a bad line is an input error naming the line; tokens compare by scope', () => {
    const tmp = tempDir();
    try {
      const tokens = join(tmp.dir, 'tokens');
      writeFileSync(tokens, `${READ} read\nshort write\n`);
      assert.throws(() => TokenSet.load(tokens, undefined), /tokens:2: token shorter than 16 characters/);
      writeFileSync(tokens, `${READ} admin\n`);
      assert.throws(
        () => TokenSet.load(tokens, undefined),
        /tokens:1: expected "TOKEN read" or "TOKEN write"/,
      );
      assert.throws(() => TokenSet.load(join(tmp.dir, 'absent'), undefined), /absent: cannot read: ENOENT/);
      writeFileSync(tokens, `${READ} read\n`);
      const set = TokenSet.load(tokens, `${WRITE} write, ${ENV_WRITE}:read`);
      assert.equal(set.size, 3);
      assert.equal(set.scopeOf(READ), 'read');
      assert.equal(set.scopeOf(WRITE), 'write');
      assert.equal(set.scopeOf(ENV_WRITE), 'read');
      assert.equal(set.scopeOf(READ.slice(0, -1)), undefined);
      assert.equal(set.scopeOf(''), undefined);
    } finally {
      tmp.cleanup();
    }
  });
});
