import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('plan --n 10000 --p 0.7233 --json gives the Wald margin 0.00877', async () => {
  const r = await runCli(['plan', '--n', '10000', '--p', '0.7233', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.given_n, 10000);
  const wald = out.methods.find((m: { method: string }) => m.method === 'wald');
  assert.ok(Math.abs(wald.margin - 0.0087676) < 1e-6);
  assert.deepEqual(
    out.methods.map((m: { method: string }) => m.method),
    ['wald', 'wilson', 'clopper-pearson'],
  );
});

test('plan --p 0.5 --margin 0.01 prints a table with 9604 for Wald', async () => {
  const r = await runCli(['plan', '--p', '0.5', '--margin', '0.01']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^wald\s+9604\b/m);
  assert.match(r.stdout, /^wilson\s+9600\b/m);
});

test('plan with neither or both questions, or a bad number, is a usage error', async () => {
  for (const args of [
    ['plan'],
    ['plan', '--n', '5', '--margin', '0.1'],
    ['plan', '--n', 'ten'],
    ['plan', '--p', '2', '--margin', '0.1'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /^malgram: .*(plan|--n|p must)/m);
  }
});
