// `malgram train`: flags or a Jubatus config, continuing a model, order warnings, bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { malbehavdCsv, repoRoot, runCli } from '../helpers/cli.js';

const fixtures = join(repoRoot, 'test/fixtures/learn');
const trainData = join(fixtures, 'train.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'malgram-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('malgram train', () => {
  it('trains from flags, then continues training the existing model', async () => {
    const model = join(dir, 'flags.model');
    const args = ['train', '--data', trainData, '--model', model, '--json'];
    const first = await runCli([
      ...args,
      '--method',
      'arow',
      '--ngram',
      '3',
      '--sample-weight',
      'log_tf',
      '--global-weight',
      'bin',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout);
    assert.equal(a.method, 'AROW');
    assert.equal(a.trained, 4);
    assert.equal(a.continued, false);
    assert.deepEqual(a.labels, { malware: 2, benign: 2 });
    const second = await runCli([...args, '--passes', '2']);
    assert.equal(second.code, 0, second.stderr);
    const b = JSON.parse(second.stdout);
    assert.equal(b.continued, true);
    assert.equal(b.trained, 8);
    assert.equal(b.samples_total, 12);
    const again = await runCli([...args, '--method', 'PA']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /model file exists and keeps its own config/);
  });

  it('accepts a Jubatus config unchanged and warns about label-sorted input in file order', async () => {
    const model = join(dir, 'jubatus.model');
    const r = await runCli([
      'train',
      '--data',
      malbehavdCsv,
      '--format',
      'csv',
      '--config',
      join(fixtures, 'jubatus-arow.json'),
      '--model',
      model,
      '--order',
      'file',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sorted by label/);
    const s = JSON.parse(r.stdout);
    assert.equal(s.trained, 2570);
    assert.equal(s.sorted_input, true);
    const dump = await runCli(['dump', '--model', model, '--label', '1', '--top', '3']);
    assert.equal(dump.code, 0, dump.stderr);
    const lines = dump.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const line of lines)
      assert.match(line, /^-?\d+\.\d{6}\tapi_call\$[^\s]+_[^\s]+_[^\s]+@space#log_tf\/bin$/);
  });

  it('refuses bad input with exit status 1 and a message naming what is wrong', async () => {
    const model = join(dir, 'bad.model');
    const cases: Array<[string[], RegExp]> = [
      [['--method', 'svm'], /unsupported method "svm"/],
      [['--sample-weight', 'sqrt'], /sample-weight: unknown sample_weight "sqrt"/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['train', '--data', trainData, '--model', model, ...flags]);
      assert.equal(r.code, 1, flags.join(' '));
      assert.match(r.stderr, message);
    }
    const badConfig = join(dir, 'bad.json');
    writeFileSync(badConfig, '{"method": "AROW", "converter": {}}');
    const r = await runCli(['train', '--data', trainData, '--model', model, '--config', badConfig]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.json\.parameter: parameter block is not specified/);
    const corrupt = join(dir, 'corrupt.model');
    writeFileSync(corrupt, 'MALGRAM\0 this is not a model at all');
    const c = await runCli(['train', '--data', trainData, '--model', corrupt]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /corrupt\.model: model file is corrupt/);
  });
});
