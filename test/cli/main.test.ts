import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('--help lists the commands and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: malgram/);
  assert.match(r.stdout, /version/);
});

test('an unknown command is a usage error (exit 1)', async () => {
  const r = await runCli(['no-such-command']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown command/);
});

test('version --json names the running node', async () => {
  const r = await runCli(['version', '--json']);
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).node, process.versions.node);
});
