// The hybrid verdict, model-vs-rules comparison and rule suggestion, with a real AROW 3-gram model
// trained on half of malbehavd-v1.csv.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { loadSamples } from '../../src/ingest/source.js';
import { configFromFlags, createModel, type OnlineModel } from '../../src/learn/model.js';
import { compareWithRules } from '../../src/rules/compare.js';
import { decide, hybridJson } from '../../src/rules/hybrid.js';
import { loadRules } from '../../src/rules/load.js';
import { compileRules } from '../../src/rules/matcher.js';
import { ngramApis, suggestRules } from '../../src/rules/suggest.js';
import { malbehavdCsv, repoRoot, runCli } from '../helpers/cli.js';
import { call, rulesFrom } from './rule-helpers.js';

let corpus: Trace[];
let train: Trace[];
let held: Trace[];
let model: OnlineModel;
const tmp = mkdtempSync(join(tmpdir(), 'malgram-hybrid-'));
const modelFile = join(tmp, 'arow3.model');

before(async () => {
  corpus = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
  train = corpus.filter((_, i) => i % 2 === 0);
  held = corpus.filter((_, i) => i % 2 === 1);
  model = createModel(configFromFlags({ method: 'AROW', ngram: 3 }));
  // interleave labels (the file lists all benign rows first)
  const benign = train.filter((t) => t.label === '0');
  const malware = train.filter((t) => t.label === '1');
  for (let i = 0; i < Math.max(benign.length, malware.length); i++) {
    if (benign[i]) model.train(benign[i], '0');
    if (malware[i]) model.train(malware[i], '1');
  }
  model.save(modelFile);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const rules = (verdict: string, api: string) =>
  rulesFrom(
    `id: ${verdict}-${api}\ntitle: T\nseverity: low\nverdict: ${verdict}\nmatch: {call: {api: ${api}}}\n`,
  );

test('without rule hits the verdict is the model decision; contributions come from model.explain', () => {
  for (const trace of held.slice(0, 200)) {
    const v = decide(model, trace, []);
    const c = model.classify(trace);
    if (c.empty) {
      assert.equal(v.verdict, 'no behaviour');
      continue;
    }
    assert.equal(v.verdict, c.predicted === '1' ? 'malicious' : 'benign', trace.id);
    assert.equal(v.decidedBy, 'model');
    assert.deepEqual(
      v.contributions.map((x) => x.feature),
      model.explain(trace, 10).contributions.map((x) => x.feature),
    );
  }
});

test('a malicious rule decides, an allow rule overrides the model, a suspicious rule escalates benign', () => {
  const modelMalicious = held.find((t) => decide(model, t, []).verdict === 'malicious')!;
  const modelBenign = held.find((t) => decide(model, t, []).verdict === 'benign')!;
  const hitsOf = (r: ReturnType<typeof rulesFrom>, t: Trace) => r.matchTrace(t);
  const anyCall = modelBenign.processes[0].calls[0].api;
  const malicious = hitsOf(rules('malicious', anyCall), modelBenign);
  assert.equal(malicious.length, 1);
  assert.deepEqual(
    [decide(model, modelBenign, malicious).verdict, decide(model, modelBenign, malicious).decidedBy],
    ['malicious', 'malicious-rule'],
  );
  const allow = hitsOf(rules('benign', modelMalicious.processes[0].calls[0].api), modelMalicious);
  assert.equal(decide(model, modelMalicious, allow).verdict, 'benign');
  assert.equal(decide(model, modelMalicious, allow).decidedBy, 'allow-rule');
  const suspicious = hitsOf(rules('suspicious', anyCall), modelBenign);
  assert.equal(decide(model, modelBenign, suspicious).verdict, 'suspicious');
  assert.equal(decide(model, modelBenign, suspicious, { suspiciousDecides: true }).verdict, 'malicious');
  // both a malicious and an allow rule: malicious wins unless the policy says otherwise
  const both = [...malicious, ...hitsOf(rules('benign', anyCall), modelBenign)];
  assert.equal(decide(model, modelBenign, both).verdict, 'malicious');
  assert.equal(decide(model, modelBenign, both, { allowOverridesMaliciousRules: true }).verdict, 'benign');
  // an impossible threshold leaves the model's malicious call to the rules
  assert.equal(decide(model, modelMalicious, [], { threshold: 1e9 }).verdict, 'benign');
});

test('the JSON explanation lists rule hits with the matched calls and their arguments', () => {
  const r = rulesFrom(
    'id: inj\ntitle: Inj\nseverity: high\nverdict: malicious\nmatch:\n  sequence:\n    steps:\n      - {api: OpenProcess, bind: {h: ret}}\n      - {api: WriteProcessMemory, args: {processhandle: $h}}\n',
  );
  const trace: Trace = {
    id: 'x',
    format: 'jsonl',
    processes: [
      {
        pid: 42,
        calls: [
          call('OpenProcess', { ProcessId: 4 }, { ret: '0x10' }),
          call('NtClose'),
          call('WriteProcessMemory', { ProcessHandle: '0x10' }),
        ],
      },
    ],
  };
  const doc = hybridJson(decide(model, trace, r.matchTrace(trace)), trace) as {
    verdict: string;
    rule_hits: {
      rule: string;
      calls: { pid: number; index: number; api: string; args: Record<string, unknown> }[];
    }[];
  };
  assert.equal(doc.verdict, 'malicious');
  assert.deepEqual(doc.rule_hits[0].calls, [
    { pid: 42, index: 0, api: 'OpenProcess', args: { ProcessId: 4 } },
    { pid: 42, index: 2, api: 'WriteProcessMemory', args: { ProcessHandle: '0x10' } },
  ]);
});

test('model alone, rules alone and combined, side by side on held-out samples', () => {
  const starter = compileRules(loadRules([join(repoRoot, 'rules')]).rules);
  const outcomes = held.map((t) => {
    const v = decide(model, t, []);
    const modelMalicious = v.verdict === 'no behaviour' ? null : v.verdict === 'malicious';
    return { label: t.label!, modelMalicious, ruleVerdicts: starter.matchTrace(t).map((h) => h.verdict) };
  });
  const c = compareWithRules(outcomes, '1');
  for (const d of [c.model, c.rules, c.combined]) {
    assert.equal(d.tpr.n, held.filter((t) => t.label === '1').length);
    assert.equal(d.fpr.n, held.filter((t) => t.label === '0').length);
  }
  // The starter set has no allow rules: combining can only add detections.
  assert.ok(c.combined.tpr.k >= Math.max(c.model.tpr.k, c.rules.tpr.k));
  assert.ok(c.combined.fpr.k <= c.model.fpr.k + c.rules.fpr.k);
  const modelOnly = held.filter(
    (t) => t.label === '1' && !model.classify(t).empty && model.classify(t).predicted === '1',
  );
  assert.equal(c.model.tpr.k, modelOnly.length);
});

test('n-gram features are split back into API names with the corpus vocabulary', () => {
  const vocab = new Map(['__exception__', 'DnsQuery_A', 'NtClose', 'A', 'A_B', 'B'].map((a) => [a, a]));
  const f = (s: string) => `api_call$${s}@space#log_tf/bin`;
  assert.deepEqual(ngramApis(f('__exception___DnsQuery_A_NtClose'), vocab, 3, 3), [
    '__exception__',
    'DnsQuery_A',
    'NtClose',
  ]);
  assert.deepEqual(ngramApis(f('A_B_NtClose'), vocab, 2, 2), ['A_B', 'NtClose']);
  assert.deepEqual(ngramApis(f('A_B_NtClose'), vocab, 3, 3), ['A', 'B', 'NtClose']);
  assert.equal(ngramApis(f('Unknown_NtClose_A'), vocab, 3, 3), null);
  assert.equal(ngramApis('category$x@space#bin/bin', vocab, 1, 3), null);
});

test('rules suggest: at least 10 drafts from the model, support checked by an independent n-gram scan', async () => {
  const result = await suggestRules(model, corpus, { label: '1', positive: '1', ngram: 3, top: 20 });
  assert.ok(result.suggestions.length >= 10, `${result.suggestions.length} suggestions`);
  for (let i = 1; i < result.suggestions.length; i++)
    assert.ok(result.suggestions[i - 1].precision.lo >= result.suggestions[i].precision.lo);
  for (const s of result.suggestions.filter((x) => x.kind === 'ngram')) {
    const apis = s.features[0].apis;
    const contains = (t: Trace) =>
      t.processes.some((p) =>
        p.calls.some(
          (_, i) => i + apis.length <= p.calls.length && apis.every((a, j) => p.calls[i + j].api === a),
        ),
      );
    const malwareHit = corpus.filter((t) => t.label === '1' && contains(t)).length;
    const benignHit = corpus.filter((t) => t.label === '0' && contains(t)).length;
    assert.equal(s.support, malwareHit, s.rule.title);
    assert.equal(s.fpr.k, benignHit, s.rule.title);
    assert.ok(s.features[0].weight > 0);
  }
});

test('`rules suggest --out` writes drafts that lint clean', async () => {
  const out = join(tmp, 'drafts');
  const r = await runCli([
    'rules',
    'suggest',
    '--model',
    modelFile,
    '--data',
    malbehavdCsv,
    '--format',
    'csv',
    '--top',
    '12',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.candidates >= 10);
  assert.equal(doc.suggestions.length, 12);
  const drafts = loadRules([out]);
  assert.deepEqual(drafts.problems, []);
  assert.deepEqual(
    drafts.rules.map((x) => x.id),
    doc.suggestions.map((x: { id: string }) => x.id),
  );
});
