// `classify --rules` / `explain --rules`: the hybrid verdict on real data (a model trained on
// MalbehavD-V1, the starter rules, the real CAPE apc-inject report) and the policy on fixtures
// (an allow rule overriding the model, a malicious rule winning over it unless told otherwise).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { malbehavdCsv, repoRoot, runCli, sharedData } from '../helpers/cli.js';

const apcReport = join(sharedData, 'reports/capev2-2.4-lite_apc-inject_b145e2ec.json');
const starterRules = join(repoRoot, 'rules');
const allowRule = join(repoRoot, 'test/fixtures/cli/allow-write.yaml');
const maliciousRule = join(repoRoot, 'test/fixtures/cli/flag-protect.yaml');
const learnFixtures = join(repoRoot, 'test/fixtures/learn');
const dir = mkdtempSync(join(tmpdir(), 'malgram-hybrid-'));
const realModel = join(dir, 'malbehavd.model');
const smallModel = join(dir, 'small.model');
after(() => rmSync(dir, { recursive: true, force: true }));

interface HitCall {
  pid: number;
  index: number;
  api: string;
  args: Record<string, unknown>;
}
interface Hit {
  rule: string;
  verdict: string;
  severity: string;
  pid: number;
  calls: HitCall[];
}

describe('hybrid verdicts: classify/explain --rules', () => {
  before(async () => {
    const [real, small] = await Promise.all([
      runCli(['train', '--data', malbehavdCsv, '--format', 'csv', '--model', realModel, '--quiet']),
      runCli(['train', '--data', join(learnFixtures, 'train.jsonl'), '--model', smallModel, '--quiet']),
    ]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(small.code, 0, small.stderr);
  });

  it('the injection-apc rule fires on the real CAPE report and decides the verdict, even against the model', async () => {
    // A margin threshold no score reaches: the model alone would not call the sample malicious.
    const args = ['classify', '--model', realModel, apcReport, '--rules', starterRules, '--json'];
    const r = await runCli([...args, '--threshold', '1000000']);
    assert.equal(r.code, 0, r.stderr);
    const [res] = JSON.parse(r.stdout).results;
    assert.equal(res.id, 'b145e2ec11257461442f8a42e1b34b303ff7eba7b27a8b65cb0ae6ac67950d10');
    assert.deepEqual(Object.keys(res.scores).sort(), ['0', '1']);
    assert.ok(res.margin < 1000000);
    assert.equal(res.verdict, 'malicious');
    assert.equal(res.decided_by, 'malicious-rule');
    const apc = (res.rule_hits as Hit[]).find((h) => h.rule === 'injection-apc');
    assert.ok(apc, `rules hit: ${res.rule_hits.map((h: Hit) => h.rule).join(', ')}`);
    assert.equal(apc.verdict, 'malicious');
    const [open, queue] = apc.calls;
    assert.match(open.api, /OpenThread$/);
    assert.match(queue.api, /QueueApcThread|QueueUserAPC/);
    assert.ok(open.index < queue.index);
    // The evidence carries the real arguments: the queued APC targets the thread handle just opened.
    assert.equal(typeof open.args.ThreadHandle, 'string');
    assert.equal(Number(open.args.ThreadHandle), Number(queue.args.ThreadHandle));

    // Without rules the contract has no verdict for a sample with behaviour.
    const plain = await runCli(['classify', '--model', realModel, apcReport, '--json']);
    assert.equal(plain.code, 0, plain.stderr);
    const [p] = JSON.parse(plain.stdout).results;
    assert.equal('verdict' in p, false);
    assert.deepEqual(p.scores, res.scores);
  });

  it('text output: verdict with who decided it, then the rule hits with the matched calls', async () => {
    const r = await runCli(['classify', '--model', realModel, apcReport, '--rules', starterRules]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0],
      /^b145e2ec\w+\tmalicious \(malicious-rule\)\tmodel [01]\t0=-?\d+\.\d{6} 1=-?\d+\.\d{6}$/,
    );
    assert.ok(lines.some((l) => /^ {2}rule injection-apc \(malicious, high\) pid \d+: /.test(l)));
    assert.ok(lines.some((l) => /^ {4}#\d+ pid \d+ NtQueueApcThread .*ThreadHandle="0x/.test(l)));
  });

  it('explain --rules lists the rule hits and the top contributing n-grams with weights', async () => {
    const r = await runCli([
      'explain',
      '--model',
      realModel,
      apcReport,
      '--rules',
      starterRules,
      '--top',
      '5',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [e] = JSON.parse(r.stdout).results;
    assert.equal(e.verdict, 'malicious');
    assert.equal(e.decided_by, 'malicious-rule');
    assert.ok((e.rule_hits as Hit[]).some((h) => h.rule === 'injection-apc'));
    assert.ok(e.contributions.length > 0 && e.contributions.length <= 5);
    const sizes = e.contributions.map((c: { contribution: number }) => Math.abs(c.contribution));
    assert.deepEqual(
      sizes,
      [...sizes].sort((a: number, b: number) => b - a),
    );
    const top = e.contributions[0];
    assert.match(top.feature, /^api_call\$\w+_\w+_\w+@space#log_tf\/bin$/);
    // contribution = value × (w[predicted] − w[runner-up]).
    const w = top.weights;
    assert.ok(
      Math.abs(top.contribution - top.value * ((w[e.predicted] ?? 0) - (w[e.runner_up] ?? 0))) < 1e-9,
    );

    const text = await runCli([
      'explain',
      '--model',
      realModel,
      apcReport,
      '--rules',
      starterRules,
      '--top',
      '3',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /verdict malicious \(decided by malicious-rule, model margin -?\d+\.\d+\); rule hits:/,
    );
    assert.match(text.stdout, /contribution\tvalue\tfeature\n-?\d+\.\d{6}\t\d+\.\d{6}\tapi_call\$/);
  });

  it('an allow rule overrides the model; a malicious rule wins over it unless --allow-overrides-rules', async () => {
    const probe = join(learnFixtures, 'probe.jsonl');
    const base = ['classify', '--model', smallModel, probe, '--json', '--rules'];
    const verdicts = async (extra: string[]) => {
      const r = await runCli([...base, ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return new Map((JSON.parse(r.stdout).results as Array<Record<string, unknown>>).map((x) => [x.id, x]));
    };
    const [allowOnly, both, allowWins] = await Promise.all([
      verdicts([allowRule]),
      verdicts([allowRule, maliciousRule]),
      verdicts([allowRule, maliciousRule, '--allow-overrides-rules']),
    ]);
    const probeResult = allowOnly.get('probe') as Record<string, unknown> & { rule_hits: Hit[] };
    assert.equal(probeResult.predicted, 'malware', 'the model alone calls the probe malware');
    assert.equal(probeResult.verdict, 'benign');
    assert.equal(probeResult.decided_by, 'allow-rule');
    assert.deepEqual(
      probeResult.rule_hits.map((h) => [h.rule, h.calls.map((c) => c.api)]),
      [['allow-known-writer', ['NtWriteVirtualMemory']]],
    );
    assert.equal(allowOnly.get('quiet')?.verdict, 'no behaviour');
    assert.equal(allowOnly.get('__proto__')?.verdict, 'benign');
    assert.equal(allowOnly.get('__proto__')?.decided_by, 'model');

    assert.equal(both.get('probe')?.verdict, 'malicious');
    assert.equal(both.get('probe')?.decided_by, 'malicious-rule');
    assert.equal(allowWins.get('probe')?.verdict, 'benign');
    assert.equal(allowWins.get('probe')?.decided_by, 'allow-rule');
  });

  it('invalid rules are an input error naming file:line; a bad --threshold, or one without --rules, too', async () => {
    const probe = join(learnFixtures, 'probe.jsonl');
    const typo = join(repoRoot, 'test/fixtures/rules/typo.yaml');
    const [r, t, knob] = await Promise.all([
      runCli(['classify', '--model', smallModel, probe, '--rules', typo]),
      runCli(['explain', '--model', smallModel, probe, '--rules', allowRule, '--threshold', 'x']),
      runCli(['classify', '--model', smallModel, probe, '--threshold', '1']),
    ]);
    assert.equal(knob.code, 1);
    assert.match(knob.stderr, /--threshold: only used with --rules/);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /typo\.yaml:\d+: /);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /--threshold/);
  });
});
