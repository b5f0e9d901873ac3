// `eval --rules`: model alone, rules alone and the hybrid policy side by side on MalbehavD-V1 with
// the starter rules — rates with counts and 95% Wilson intervals in the JSON, the table and the
// HTML report.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { malbehavdCsv, repoRoot, runCli } from '../helpers/cli.js';
import { type Rate, wilson } from '../helpers/wilson.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-eval-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Rates = { tpr: Rate; fpr: Rate; precision: Rate };

const common = [
  '--data',
  malbehavdCsv,
  '--format',
  'csv',
  '--split',
  '0.5',
  '--seed',
  '1',
  '--rules',
  join(repoRoot, 'rules'),
];

test('eval --rules: model, rules and both with counts and intervals (JSON, table, report)', async () => {
  const report = join(dir, 'report.html');
  const [json, text] = await Promise.all([
    runCli(['eval', ...common, '--json', '--quiet', '--report', report]),
    runCli(['eval', ...common, '--quiet']),
  ]);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  // The existing contract is untouched; the comparison is an extra key.
  for (const k of ['method', 'ngram', 'n_train', 'n_test', 'tpr', 'fpr', 'auc', 'per_label'])
    assert.ok(k in out, k);
  const c = out.rules_comparison as { positive: string; rules_count: number } & Record<
    'model' | 'rules' | 'combined',
    Rates
  >;
  assert.equal(c.positive, '1');
  assert.equal(c.rules_count, 17);
  const positives = out.tpr.n;
  const negatives = out.fpr.n;
  for (const name of ['model', 'rules', 'combined'] as const) {
    const d = c[name];
    assert.equal(d.tpr.n, positives, `${name} TPR over every positive test sample`);
    assert.equal(d.fpr.n, negatives);
    assert.equal(d.precision.n, d.tpr.k + d.fpr.k, `${name} precision = TP / alarms`);
    assert.equal(d.precision.k, d.tpr.k);
    for (const rate of [d.tpr, d.fpr, d.precision]) {
      if (rate.n === 0) continue;
      assert.ok(Math.abs(rate.value - rate.k / rate.n) < 1e-12);
      const [lo, hi] = wilson(rate.k, rate.n);
      assert.ok(Math.abs(rate.lo - lo) < 1e-9 && Math.abs(rate.hi - hi) < 1e-9, `${name} interval`);
    }
  }
  // The model's false alarms are the run's (a sample without features gets no model verdict,
  // so the model's detections can only be fewer than its argmax TPR counts).
  assert.equal(c.model.fpr.k, out.fpr.k);
  assert.ok(c.model.tpr.k <= out.tpr.k);
  // The starter set has no allow rules: the hybrid flags exactly the union of the model's and the
  // malicious rules' detections, so it lies between the larger of the two and their sum.
  for (const rate of ['tpr', 'fpr'] as const) {
    const combined = c.combined[rate].k;
    assert.ok(combined >= Math.max(c.model[rate].k, c.rules[rate].k), `${rate} ${combined}`);
    assert.ok(combined <= c.model[rate].k + c.rules[rate].k, `${rate} ${combined}`);
  }
  // On API names alone (no arguments in the CSV) the malicious starter rules, which all need
  // arguments, cannot be decided and stay silent (rules/README.md: absent data is unknown).
  assert.equal(c.rules.tpr.k + c.rules.fpr.k, 0);

  assert.equal(text.code, 0, text.stderr);
  const pct = (r: Rate) =>
    r.n === 0
      ? 'n/a (0/0)'
      : `${(100 * r.value).toFixed(2)}% [${(100 * r.lo).toFixed(2)}–${(100 * r.hi).toFixed(2)}] (${r.k}/${r.n})`;
  const row = (label: string, d: Rates) =>
    new RegExp(
      `^${label.replace('+', '\\+')} +${[d.tpr, d.fpr, d.precision].map((r) => pct(r).replace(/[[\]().]/g, '\\$&')).join(' +')}$`,
      'm',
    );
  assert.match(text.stdout, /model, 17 rules and both \(positive "1"; a detection is a malicious verdict\):/);
  assert.match(text.stdout, row('model alone', c.model));
  assert.match(text.stdout, row('rules alone', c.rules));
  assert.match(text.stdout, row('model + rules', c.combined));

  const html = readFileSync(report, 'utf8');
  assert.match(html, /Model, rules and both/);
  assert.ok(
    html.includes(`<td>${pct(c.combined.fpr)}</td>`),
    'the report shows the hybrid FPR with its interval',
  );
});

test('eval --rules with a broken rule file is an input error naming file:line', async () => {
  const r = await runCli([
    'eval',
    '--data',
    malbehavdCsv,
    '--format',
    'csv',
    '--rules',
    join(repoRoot, 'test/fixtures/rules/typo.yaml'),
    '--quiet',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /typo\.yaml:\d+: /);
});
