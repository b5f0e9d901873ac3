// `malgram dump`: `weight<TAB>feature-name` lines, top/bottom per label, --json.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'test/fixtures/learn');
const dir = mkdtempSync(join(tmpdir(), 'malgram-dump-'));
const model = join(dir, 'm.model');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('malgram dump', () => {
  before(async () => {
    const r = await runCli([
      'train',
      '--data',
      join(fixtures, 'train.jsonl'),
      '--model',
      model,
      '--quiet',
      '--order',
      'file',
    ]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('top K of one label, largest first; --bottom gives the smallest', async () => {
    const top = await runCli(['dump', '--model', model, '--label', 'malware', '--top', '2']);
    assert.equal(top.code, 0, top.stderr);
    const lines = top.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    const weights = lines.map((l) => Number(l.split('\t')[0]));
    assert.ok(weights[0] >= weights[1]);
    assert.match(
      lines[0],
      /^\d+\.\d{6}\tapi_call\$VirtualProtectEx_VirtualProtectEx_VirtualProtectEx@space#log_tf\/bin$/,
    );
    const bottom = await runCli(['dump', '--model', model, '--label', 'malware', '--top', '1', '--bottom']);
    assert.ok(Number(bottom.stdout.split('\t')[0]) < 0);
  });

  it('every label with headers, and --json with covariances', async () => {
    const all = await runCli(['dump', '--model', model, '--top', '1']);
    assert.deepEqual(
      all.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('#')),
      ['# label malware', '# label benign'],
    );
    const json = await runCli(['dump', '--model', model, '--top', '3', '--json']);
    const d = JSON.parse(json.stdout);
    assert.equal(d.method, 'AROW');
    assert.equal(d.labels[0].entries.length, 3);
    assert.ok(d.labels[0].entries[0].covariance > 0 && d.labels[0].entries[0].covariance < 1);
  });

  it('an unknown label is an input error', async () => {
    const r = await runCli(['dump', '--model', model, '--label', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown label "nope"/);
  });
});
