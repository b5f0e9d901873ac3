// Every starter rule in rules/ fires on its fixture and not on its near miss
// (test/fixtures/rules/starter-rules.jsonl: `<rule-id>#hit` and `<rule-id>#miss` traces, read by
// the real JSONL reader), and the rule set behaves on the real sandbox reports.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Trace } from '../../src/core/trace.js';
import { loadSamples } from '../../src/ingest/source.js';
import { loadRules } from '../../src/rules/load.js';
import { compileRules } from '../../src/rules/matcher.js';
import { repoRoot, sharedData } from '../helpers/cli.js';

const loaded = loadRules([join(repoRoot, 'rules')]);
const compiled = compileRules(loaded.rules);
const fixtures = join(repoRoot, 'test/fixtures/rules/starter-rules.jsonl');

function fired(trace: Trace): Set<string> {
  return new Set(compiled.matchTrace(trace).map((h) => h.rule));
}

test('the starter rule set is valid and has at least 15 rules', () => {
  assert.deepEqual(loaded.problems, []);
  assert.ok(loaded.rules.length >= 15, `${loaded.rules.length} rules`);
});

test('each starter rule fires on its fixture and not on its near miss', async () => {
  const traces = new Map((await loadSamples({ data: [fixtures], format: 'jsonl' })).map((t) => [t.id, t]));
  for (const rule of loaded.rules) {
    const hit = traces.get(`${rule.id}#hit`);
    const miss = traces.get(`${rule.id}#miss`);
    assert.ok(hit && miss, `fixtures for ${rule.id}`);
    assert.ok(fired(hit).has(rule.id), `${rule.id} fires on its fixture`);
    assert.ok(!fired(miss).has(rule.id), `${rule.id} stays quiet on its near miss`);
  }
});

test('hits carry the matching calls as evidence', async () => {
  const [trace] = (await loadSamples({ data: [fixtures], format: 'jsonl' })).filter(
    (t) => t.id === 'injection-remote-thread#hit',
  );
  const hit = compiled.matchTrace(trace).find((h) => h.rule === 'injection-remote-thread');
  assert.ok(hit);
  assert.deepEqual(
    hit.evidence.map((e) => [e.index, e.api]),
    [
      [0, 'NtOpenProcess'],
      [1, 'NtAllocateVirtualMemory'],
      [2, 'NtWriteVirtualMemory'],
      [3, 'CreateRemoteThread'],
    ],
  );
  assert.equal(hit.pid, 1000);
  assert.equal(hit.verdict, 'malicious');
});

test('on the real CAPE APC-injection report the APC rule fires with the real calls', async () => {
  const [trace] = await loadSamples({
    data: [join(sharedData, 'reports/capev2-2.4-lite_apc-inject_b145e2ec.json')],
    format: 'cape',
  });
  const hits = compiled.matchTrace(trace);
  const apc = hits.find((h) => h.rule === 'injection-apc');
  assert.ok(apc, `rules fired: ${hits.map((h) => h.rule).join(', ')}`);
  assert.deepEqual(
    apc.evidence.map((e) => e.api),
    ['NtOpenThread', 'NtQueueApcThread'],
  );
  const call = trace.processes.find((p) => p.pid === apc.pid)!.calls[apc.evidence[1].index];
  assert.equal(call.args?.get('ThreadHandle'), '0x00000228');
});

test("Internet Explorer's own-thread keyboard hook in the real cuckoo-modified report is not a keylogger", async () => {
  const [trace] = await loadSamples({
    data: [join(sharedData, 'reports/cuckoo-modified-1.3NG-full_vip-html.json.gz')],
    format: 'cuckoo',
  });
  const hooks = trace.processes.flatMap((p) => p.calls.filter((c) => c.api.startsWith('SetWindowsHookEx')));
  assert.ok(hooks.length > 0, 'the report has SetWindowsHookEx calls');
  assert.ok(!fired(trace).has('collection-keyboard-hook'));
});
