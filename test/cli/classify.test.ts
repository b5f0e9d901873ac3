// `malgram classify`: the design.md --json contract, "no behaviour" for a sample without calls,
// hostile ids, and the text output.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'test/fixtures/learn');
const dir = mkdtempSync(join(tmpdir(), 'malgram-classify-'));
const model = join(dir, 'm.model');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('malgram classify', () => {
  before(async () => {
    const r = await runCli(['train', '--data', join(fixtures, 'train.jsonl'), '--model', model, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('--json: one result per sample with every label scored', async () => {
    const r = await runCli(['classify', '--model', model, join(fixtures, 'probe.jsonl'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { results } = JSON.parse(r.stdout);
    assert.deepEqual(
      results.map((x: { id: string }) => x.id),
      ['probe', 'quiet', '__proto__'],
    );
    const [probe, quiet, proto] = results;
    assert.equal(probe.predicted, 'malware');
    assert.deepEqual(Object.keys(probe.scores).sort(), ['benign', 'malware']);
    assert.ok(probe.scores.malware > probe.scores.benign);
    assert.equal(quiet.predicted, null);
    assert.equal(quiet.verdict, 'no behaviour');
    assert.equal(proto.predicted, 'benign');
  });

  it('text output: id, verdict and scores per line', async () => {
    const r = await runCli(['classify', '--model', model, join(fixtures, 'probe.jsonl')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^probe\tmalware\tbenign=-?\d+\.\d{6} malware=\d+\.\d{6}$/);
    assert.match(lines[1], /^quiet\t\(no behaviour\)\t/);
  });

  it('a missing model file is an input error', async () => {
    const r = await runCli(['classify', '--model', join(dir, 'none.model'), join(fixtures, 'probe.jsonl')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /none\.model: cannot read model file/);
  });
});
