// `rules test`: backtesting on the real labelled corpus and on real sandbox reports.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { proportion } from '../../src/evaluate/intervals.js';
import { malbehavdCsv, runCli, sharedData } from '../helpers/cli.js';

interface P {
  value: number | null;
  lo: number;
  hi: number;
  k: number;
  n: number;
}
interface RuleResult {
  id: string;
  hits: Record<string, number>;
  precision: P;
  tpr: P;
  fpr: P;
  status: string;
  reason?: string;
  samples_hit: Record<string, string[]>;
}

/** Rows of the CSV that contain CreateToolhelp32Snapshot, Process32FirstW, Process32NextW in order within 200 calls. */
function processListRowsByLabel(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const rows = readFileSync(malbehavdCsv, 'utf8').split('\n').slice(1).filter(Boolean);
  for (const row of rows) {
    const [id, label, ...cells] = row.split(',');
    const apis = cells.filter((c) => c !== '');
    let hit = false;
    for (let i = 0; i < apis.length && !hit; i++) {
      if (apis[i] !== 'CreateToolhelp32Snapshot') continue;
      const j = apis.indexOf('Process32FirstW', i + 1);
      const k = j < 0 ? -1 : apis.indexOf('Process32NextW', j + 1);
      hit = k >= 0 && k - i + 1 <= 200;
    }
    if (!hit) continue;
    const set = out.get(label) ?? new Set();
    set.add(id);
    out.set(label, set);
  }
  return out;
}

test('rules test on malbehavd-v1.csv: counts, rates with Wilson intervals, samples hit, unusable flags', async () => {
  const r = await runCli([
    'rules',
    'test',
    '--rules',
    'rules',
    '--data',
    malbehavdCsv,
    '--format',
    'csv',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.samples, 2570);
  assert.deepEqual(doc.labels, { '0': 1285, '1': 1285 });
  assert.equal(doc.positive, '1');
  const rules = new Map<string, RuleResult>(doc.rules.map((x: RuleResult) => [x.id, x]));

  // An argument-free rule can fire on API names alone: check it against an independent scan.
  const expected = processListRowsByLabel();
  const discovery = rules.get('discovery-process-list')!;
  for (const label of ['0', '1']) {
    assert.equal(discovery.hits[label] ?? 0, expected.get(label)?.size ?? 0, `label ${label}`);
    assert.deepEqual(new Set(discovery.samples_hit[label] ?? []), expected.get(label) ?? new Set());
  }
  // Argument rules cannot fire without arguments.
  for (const id of ['injection-remote-thread', 'persistence-run-key', 'impact-shadow-copy-deletion'])
    assert.deepEqual(rules.get(id)!.hits, {}, id);

  for (const rule of rules.values()) {
    const tp = rule.hits['1'] ?? 0;
    const fp = rule.hits['0'] ?? 0;
    const want = { tpr: proportion(tp, 1285), fpr: proportion(fp, 1285) };
    for (const key of ['tpr', 'fpr'] as const) {
      assert.equal(rule[key].k, want[key].k);
      assert.equal(rule[key].n, 1285);
      assert.ok(
        Math.abs(rule[key].lo - want[key].lo) < 1e-12 && Math.abs(rule[key].hi - want[key].hi) < 1e-12,
      );
    }
    assert.equal(rule.precision.n, tp + fp);
    const unusable = fp > 0 && want.fpr.lo > 0.01;
    assert.equal(rule.status === 'unusable', unusable, `${rule.id}: ${rule.status}`);
    if (unusable) assert.match(rule.reason ?? '', /FPR lower 95% bound/);
  }
});

test('rules test on a real CAPE report: unlabelled samples are listed under ""', async () => {
  const report = join(sharedData, 'reports/capev2-2.4-lite_apc-inject_b145e2ec.json');
  const r = await runCli(['rules', 'test', '--rules', 'rules', '--data', report]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^1 samples \(unlabelled: 1\)/m);
  assert.match(r.stdout, /injection-apc \(malicious, high\) OK\n {2}hits per label: "": 1\n/);
  assert.match(r.stdout, /hit "": b145e2ec11257461442f8a42e1b34b303ff7eba7b27a8b65cb0ae6ac67950d10\n/);
});

test('rules test: a bad flag exits 1 with a message', async () => {
  const budget = await runCli([
    'rules',
    'test',
    '--rules',
    'rules',
    '--data',
    malbehavdCsv,
    '--max-fpr',
    '2',
  ]);
  assert.equal(budget.code, 1);
  assert.match(budget.stderr, /--max-fpr must be a number in \[0, 1\]/);
});
