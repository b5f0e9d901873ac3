import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { malbehavdCsv, runCli, sharedData } from '../helpers/cli.js';

const dir = await mkdtemp(join(tmpdir(), 'malgram-datasets-'));
let server: Server;
let base: string;
let body: Buffer;

before(async () => {
  body = await readFile(malbehavdCsv);
  // /good/ serves the real file, /bad/ other bytes, anything else 404.
  server = createServer((req, res) => {
    if (req.url === '/good/MalBehavD-V1-dataset.csv') res.end(body);
    else if (req.url === '/bad/MalBehavD-V1-dataset.csv') res.end(Buffer.concat([body, Buffer.from('x')]));
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const fetchWith = (cache: string, baseUrl: string, extra: string[] = []) =>
  runCli(['datasets', 'fetch', 'MalbehavD-V1', ...extra], {
    env: { XDG_CACHE_HOME: cache, MALGRAM_DATASETS_BASE_URL: baseUrl, MALGRAM_DATASETS_DIR: '' },
  });

test('download: verified, cached under XDG_CACHE_HOME, path printed; second fetch uses the cache', async () => {
  const cache = join(dir, 'cache-good');
  const run = await fetchWith(cache, `${base}/good`);
  assert.equal(run.code, 0, run.stderr);
  const path = join(cache, 'malgram', 'datasets', 'MalBehavD-V1-dataset.csv');
  assert.equal(run.stdout, `${path}\n`);
  assert.deepEqual(await readFile(path), body);
  assert.match(run.stderr, /downloaded, SHA-256 verified/);
  // The server now answers 404 everywhere under /gone: the cached copy is used.
  const again = await fetchWith(cache, `${base}/gone`);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /cached/);
});

/** A 127.0.0.1 port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('hash mismatch, 404 and connection refused: clear errors, exit 1, no file left', async () => {
  const refused = `http://127.0.0.1:${await closedPort()}`;
  for (const [name, url, message] of [
    ['mismatch', `${base}/bad`, /SHA-256 mismatch/],
    ['missing', `${base}/missing`, /HTTP 404/],
    ['refused', refused, /ECONNREFUSED/],
  ] as const) {
    const cache = join(dir, `cache-${name}`);
    const run = await fetchWith(cache, url);
    assert.equal(run.code, 1, `${name}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    const files = await readdir(join(cache, 'malgram', 'datasets')).catch(() => []);
    assert.deepEqual(files, [], name);
  }
});

test('a local copy (MALGRAM_DATASETS_DIR or --from) is verified and used in place', async () => {
  const viaEnv = await runCli(['datasets', 'fetch', 'malbehavd-v1'], {
    env: { MALGRAM_DATASETS_DIR: sharedData, XDG_CACHE_HOME: join(dir, 'unused') },
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout, `${join(sharedData, 'malbehavd-v1.csv')}\n`);
  // Found by hash under any name; a known name holding other bytes is a mismatch.
  const other = join(dir, 'other');
  await mkdir(other);
  await symlink(malbehavdCsv, join(other, 'copy.csv'));
  const byHash = await runCli(['datasets', 'fetch', 'malbehavd-v1', '--from', other, '--json']);
  assert.equal(byHash.code, 0, byHash.stderr);
  assert.deepEqual(JSON.parse(byHash.stdout), {
    name: 'malbehavd-v1',
    path: join(other, 'copy.csv'),
    how: 'local copy',
  });
  await writeFile(join(other, 'malbehavd-v1.csv'), 'sha256,labels\n');
  const wrong = await runCli(['datasets', 'fetch', 'malbehavd-v1', '--from', other]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /malbehavd-v1\.csv: SHA-256 mismatch/);
});

test('datasets list and unknown names', async () => {
  const list = await runCli(['datasets', 'list', '--json'], { env: { XDG_CACHE_HOME: join(dir, 'empty') } });
  assert.equal(list.code, 0, list.stderr);
  const [ds] = JSON.parse(list.stdout).datasets;
  assert.equal(ds.name, 'malbehavd-v1');
  assert.equal(ds.url, 'https://raw.githubusercontent.com/mpasco/MalbehavD-V1/main/MalBehavD-V1-dataset.csv');
  assert.equal(ds.sha256, '1e39c43a014e9b4ee56766ad6bb367ffe8ec4316eb0be75eb182c3b2d15f6364');
  assert.equal(ds.cached, null);
  const unknown = await runCli(['datasets', 'fetch', 'imagenet']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown data set "imagenet"/);
});
