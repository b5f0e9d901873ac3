// The cluster commands' usage errors: exit status 1 with a one-line message naming the flag.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { malbehavdCsv, runCli } from '../helpers/cli.js';

test('submit refuses a URL that is not redis://', async () => {
  const r = await runCli(['submit', '--redis', 'http://127.0.0.1:1', malbehavdCsv]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /--redis: not a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ URL: http:\/\/127\.0\.0\.1:1/,
  );
});

test('worker refuses an unknown mix weighting and a non-positive interval', async () => {
  const a = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--mix-weighting', 'median']);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /--mix-weighting: must be count or updates, got "median"/);
  const b = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--mix-every', '0']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /--mix-every: must be a whole number > 0/);
});

test('worker refuses a dedupe window it cannot read; --help says what a window means', async () => {
  const r = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--dedupe-window', '7 days']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--dedupe-window: must be whole seconds .* got "7 days"/);
  const help = await runCli(['worker', '--help']);
  assert.equal(help.code, 0);
  assert.match(
    help.stdout.replace(/\s+/g, ' '),
    /--dedupe-window <d> .*later it is .*forever.*\(default: "7d"\)/,
  );
});

test('cluster status names the server it cannot reach', async () => {
  const r = await runCli(['cluster', 'status', '--redis', 'redis://127.0.0.1:1', '--json']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /redis:\/\/127\.0\.0\.1:1: cannot read the cluster/);
  assert.equal(r.stdout, '');
});
