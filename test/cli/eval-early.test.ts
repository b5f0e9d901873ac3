// `eval --early`: how early `watch` would have alerted, per prefix length, on MalbehavD-V1 —
// TPR/FPR with counts and Wilson intervals, calls until the alert, the table and the report's curve.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { malbehavdCsv, runCli } from '../helpers/cli.js';
import { type Rate, wilson } from '../helpers/wilson.js';

const dir = mkdtempSync(join(tmpdir(), 'malgram-eval-early-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const common = [
  '--data',
  malbehavdCsv,
  '--format',
  'csv',
  '--train-per-label',
  '400',
  '--test-per-label',
  '300',
  '--seed',
  '1',
  '--target-fpr',
  '0.02',
  '--early',
  '1000,10,50,25',
];

test('eval --early: TPR/FPR after the first N calls, calls until the alert, table and report', async () => {
  const report = join(dir, 'early.html');
  const [json, text] = await Promise.all([
    runCli(['eval', ...common, '--json', '--quiet', '--report', report]),
    runCli(['eval', ...common, '--quiet']),
  ]);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  const e = out.early;
  assert.equal(e.positive, '1');
  assert.equal(e.target_fpr, 0.02);
  assert.equal(e.split, out.split);
  assert.deepEqual(
    e.prefixes.map((p: { calls: number }) => p.calls),
    [10, 25, 50, 1000],
  );
  assert.equal(e.n_positive + e.n_negative, out.n_test);
  let previous: { tpr: Rate; fpr: Rate } | undefined;
  for (const p of [...e.prefixes, e.full] as Array<{ tpr: Rate; fpr: Rate }>) {
    assert.equal(p.tpr.n, e.n_positive);
    assert.equal(p.fpr.n, e.n_negative);
    for (const rate of [p.tpr, p.fpr]) {
      const [lo, hi] = wilson(rate.k, rate.n);
      assert.ok(Math.abs(rate.lo - lo) < 1e-9 && Math.abs(rate.hi - hi) < 1e-9);
      assert.ok(Math.abs(rate.value - rate.k / rate.n) < 1e-12);
    }
    // An alert within N calls is also within any longer prefix.
    if (previous) {
      assert.ok(p.tpr.k >= previous.tpr.k);
      assert.ok(p.fpr.k >= previous.fpr.k);
    }
    previous = p;
  }
  assert.ok(e.full.tpr.k > 0, 'some malware is detected');
  const d = e.calls_until_alert;
  assert.equal(d.n, e.full.tpr.k, 'one alert position per detected malware trace');
  assert.ok(d.p10 >= 1 && d.p10 <= d.p50 && d.p50 <= d.p90 && d.p90 <= d.max);
  // Detected within 10 calls ⇔ alert position ≤ 10: the share is consistent with the distribution.
  if (e.prefixes[0].tpr.k > d.n / 2) assert.ok(d.p50 <= 10);
  if (e.prefixes[0].tpr.k < d.n / 2) assert.ok(d.p50 > 10);
  assert.ok(e.high_risk_any_before_alert.n === d.n);

  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /early detection: positive label 1, threshold -?\d/);
  assert.match(text.stdout, new RegExp(`^ {3}10 {2}${(100 * e.prefixes[0].tpr.value).toFixed(2)}% `, 'm'));
  assert.match(text.stdout, /calls until alert \(detected malware, n=\d+\): p10 /);

  const html = readFileSync(report, 'utf8');
  assert.match(html, /Early detection/);
  assert.match(html, /Detection after the first N calls/);
  assert.match(html, /first N calls/);
});

test('eval --early rejects a bad prefix list', async () => {
  const r = await runCli(['eval', '--data', malbehavdCsv, '--format', 'csv', '--early', '10,0', '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--early/);
});
