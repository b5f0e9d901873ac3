// `malgram explain`: contributions x·(w[predicted] − w[runner-up]) that add up to the margin.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'test/fixtures/learn');
const dir = mkdtempSync(join(tmpdir(), 'malgram-explain-'));
const model = join(dir, 'm.model');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('malgram explain', () => {
  before(async () => {
    const r = await runCli(['train', '--data', join(fixtures, 'train.jsonl'), '--model', model, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('--json: contributions sum to the score margin, largest first', async () => {
    const r = await runCli([
      'explain',
      '--model',
      model,
      join(fixtures, 'probe.jsonl'),
      '--id',
      'probe',
      '--json',
      '--top',
      '50',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [e] = JSON.parse(r.stdout).results;
    assert.equal(e.predicted, 'malware');
    assert.equal(e.runner_up, 'benign');
    const sum = e.contributions.reduce((s: number, c: { contribution: number }) => s + c.contribution, 0);
    assert.ok(Math.abs(sum - (e.scores.malware - e.scores.benign)) < 1e-12);
    const mags = e.contributions.map((c: { contribution: number }) => Math.abs(c.contribution));
    assert.deepEqual(
      mags,
      [...mags].sort((a: number, b: number) => b - a),
    );
    assert.equal(
      e.contributions[0].feature,
      'api_call$VirtualProtectEx_VirtualProtectEx_VirtualProtectEx@space#log_tf/bin',
    );
  });

  it('text output, --top, and "no behaviour"', async () => {
    const r = await runCli(['explain', '--model', model, join(fixtures, 'probe.jsonl'), '--top', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^probe: predicted malware over benign; scores /m);
    assert.match(r.stdout, /^quiet: no behaviour$/m);
    assert.equal(r.stdout.split('\n').filter((l) => /^-?\d+\.\d{6}\t/.test(l)).length, 2);
  });
});
