// Absent data (API-only traces such as MalbehavD-V1): a condition on an argument the call does not
// carry is unknown, so neither it nor its negation matches; an `all` member `not X` fails once X
// could have held but the data to tell was missing. Also: a hit lists each matched call once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSamples } from '../../src/ingest/source.js';
import { loadRules } from '../../src/rules/load.js';
import { compileRules } from '../../src/rules/matcher.js';
import { malbehavdCsv, repoRoot } from '../helpers/cli.js';
import { call, firedOn, ruleWith, traceOf } from './rule-helpers.js';

const starter = compileRules(loadRules([join(repoRoot, 'rules')]).rules);
const fixtures = join(repoRoot, 'test/fixtures/rules/starter-rules.jsonl');

test('injection-runpe: the hollowing calls without arguments do not fire, with arguments they do', async () => {
  const traces = new Map((await loadSamples({ data: [fixtures], format: 'jsonl' })).map((t) => [t.id, t]));
  const rules = (id: string) => starter.matchTrace(traces.get(id)!).map((h) => h.rule);
  assert.ok(!rules('injection-runpe#no-args').includes('injection-runpe'));
  assert.ok(rules('injection-runpe#hit').includes('injection-runpe'));
  assert.ok(!rules('injection-runpe#miss').includes('injection-runpe'));
});

test('injection-runpe also fires through a foreign thread context set (no unmap)', () => {
  const h = { ProcessHandle: '0x00000100' };
  const calls = [
    call('CreateProcessInternalW', h),
    call('NtAllocateVirtualMemory', h),
    call('NtWriteVirtualMemory', h),
    call('NtSetContextThread', { ThreadHandle: '0x00000104' }),
  ];
  assert.ok(starter.matchTrace(traceOf(calls)).some((hit) => hit.rule === 'injection-runpe'));
  calls[3] = call('NtSetContextThread', { ThreadHandle: '0xfffffffe' });
  assert.ok(!starter.matchTrace(traceOf(calls)).some((hit) => hit.rule === 'injection-runpe'));
});

test('a `not` argument condition needs the argument: absent → no match; present → as before', () => {
  const rules = ruleWith('  call:\n    api: X\n    args: {h: {not: {equals: 0xffffffff}}}\n');
  assert.deepEqual(firedOn(rules, [call('X')]), []);
  assert.deepEqual(firedOn(rules, [call('X', { other: '0x10' })]), []);
  assert.deepEqual(firedOn(rules, [call('X', { h: '0x10' })]), ['r']);
  assert.deepEqual(firedOn(rules, [call('X', { h: '0xFFFFFFFF' })]), []);
});

test('status, return value and category conditions on calls that lack them do not match, negated or not', () => {
  for (const cond of ['status: false', 'ret: {not: {equals: 0}}', 'category: process']) {
    const rules = ruleWith(`  call:\n    api: X\n    ${cond}\n`);
    assert.deepEqual(firedOn(rules, [{ api: 'X' }]), [], cond);
  }
  const rules = ruleWith('  call:\n    api: X\n    status: false\n');
  assert.deepEqual(firedOn(rules, [{ api: 'X', status: false }]), ['r']);
});

test('`all` with `not X` does not fire when X could have held but its argument was missing', () => {
  const rules = ruleWith(
    '  all:\n    - call: {api: A}\n    - not: {call: {api: B, args: {h: {equals: 1}}}}\n',
  );
  assert.deepEqual(firedOn(rules, [call('B'), call('A')]), [], 'B without h: cannot rule X out');
  assert.deepEqual(firedOn(rules, [call('B', { h: 2 }), call('A')]), ['r'], 'B with h=2: X refuted');
  assert.deepEqual(firedOn(rules, [call('B', { h: 1 }), call('A')]), [], 'B with h=1: X held');
  assert.deepEqual(firedOn(rules, [call('A')]), ['r'], 'no B at all');
});

test('a sequence `until` on an absent argument ends the partial match (cannot tell it was not aborted)', () => {
  const rules = ruleWith(
    '  sequence:\n    steps:\n      - {api: A, bind: {h: ret}}\n      - {api: C, args: {h: $h}}\n    until: {api: B, args: {h: $h}}\n',
  );
  assert.deepEqual(firedOn(rules, [call('A', {}, { ret: 5 }), call('B', { h: 6 }), call('C', { h: 5 })]), [
    'r',
  ]);
  assert.deepEqual(firedOn(rules, [call('A', {}, { ret: 5 }), call('B'), call('C', { h: 5 })]), []);
  assert.deepEqual(firedOn(rules, [call('A', {}, { ret: 5 }), call('B', { h: 5 }), call('C', { h: 5 })]), []);
});

test('on MalbehavD-V1 (API names only) no starter rule with argument conditions fires', async () => {
  const traces = await loadSamples({ data: [malbehavdCsv], format: 'csv', detail: 'api' });
  const fired = new Map<string, number>();
  for (const t of traces)
    for (const rule of new Set(starter.matchTrace(t).map((h) => h.rule)))
      fired.set(rule, (fired.get(rule) ?? 0) + 1);
  assert.equal(fired.get('injection-runpe'), undefined);
  assert.equal(fired.get('memory-rwx-remote'), undefined);
  // rules over API names alone still run on this data
  assert.ok((fired.get('discovery-process-list') ?? 0) > 0, JSON.stringify([...fired]));
});

test('a hit lists each matched call once, in first-seen order', () => {
  const rules = ruleWith('  all:\n    - count: {api: A|B, distinct: api, min: 2}\n    - call: {api: B}\n');
  const [hit] = rules.matchTrace(traceOf([call('A'), call('B')]));
  assert.deepEqual(
    hit.evidence.map((e) => [e.index, e.api]),
    [
      [0, 'A'],
      [1, 'B'],
    ],
  );
  const [runpe] = starter
    .matchTrace(
      traceOf([
        call('CreateProcessInternalW', { ProcessHandle: '0x100' }),
        call('NtAllocateVirtualMemory', { ProcessHandle: '0x100' }),
        call('NtUnmapViewOfSection', { ProcessHandle: '0x100' }),
      ]),
    )
    .filter((h) => h.rule === 'injection-runpe');
  assert.deepEqual(
    runpe.evidence.map((e) => e.index),
    [0, 1, 2],
  );
});
