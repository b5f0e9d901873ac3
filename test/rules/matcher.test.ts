// The streaming matcher: sequences with binding, windows in calls and seconds, until, counts,
// all/any/not, tree scope, the partial-match cap, the per-process streaming API, hostile names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Call } from '../../src/core/trace.js';
import { MAX_PARTIALS } from '../../src/rules/sequence.js';
import { call, firedOn, ruleWith } from './rule-helpers.js';

const injection = ruleWith(`  sequence:
    steps:
      - api: OpenProcess
        bind: {h: ret}
      - api: WriteProcessMemory
        args: {processhandle: $h}
      - api: CreateRemoteThread
        args: {processhandle: $h}
    until: {api: CloseHandle, args: {handle: $h}}
`);

test('sequence: steps in order, correlated through a bound return value', () => {
  const calls = [
    call('OpenProcess', { ProcessId: 4000 }, { ret: '0x000001a4' }),
    call('NtClose', { Handle: '0x10' }),
    call('WriteProcessMemory', { ProcessHandle: 420 }),
    call('CreateRemoteThread', { ProcessHandle: '0x1a4' }),
  ];
  const [hit] = injection.matchTrace({ id: 't', format: 'jsonl', processes: [{ pid: 7, calls }] });
  assert.equal(hit.rule, 'r');
  assert.deepEqual(
    hit.evidence.map((e) => e.index),
    [0, 2, 3],
  );
});

test('sequence: a different handle in a later step does not match', () => {
  const calls = [
    call('OpenProcess', {}, { ret: '0x1a4' }),
    call('WriteProcessMemory', { ProcessHandle: '0x1a8' }),
    call('CreateRemoteThread', { ProcessHandle: '0x1a4' }),
  ];
  assert.deepEqual(firedOn(injection, calls), []);
});

test('sequence: order matters', () => {
  const calls = [
    call('OpenProcess', {}, { ret: '0x1a4' }),
    call('CreateRemoteThread', { ProcessHandle: '0x1a4' }),
    call('WriteProcessMemory', { ProcessHandle: '0x1a4' }),
  ];
  assert.deepEqual(firedOn(injection, calls), []);
});

test('sequence: two targets opened, the second one completes the match', () => {
  const calls = [
    call('OpenProcess', {}, { ret: '0x100' }),
    call('OpenProcess', {}, { ret: '0x200' }),
    call('WriteProcessMemory', { ProcessHandle: '0x200' }),
    call('WriteProcessMemory', { ProcessHandle: '0x100' }),
    call('CreateRemoteThread', { ProcessHandle: '0x200' }),
  ];
  const [hit] = injection.matchTrace({ id: 't', format: 'jsonl', processes: [{ pid: 1, calls }] });
  assert.deepEqual(
    hit.evidence.map((e) => e.index),
    [1, 2, 4],
  );
});

test('until: closing the bound handle aborts that partial match only', () => {
  const closed = [
    call('OpenProcess', {}, { ret: '0x1a4' }),
    call('WriteProcessMemory', { ProcessHandle: '0x1a4' }),
    call('CloseHandle', { Handle: '0x1a4' }),
    call('CreateRemoteThread', { ProcessHandle: '0x1a4' }),
  ];
  assert.deepEqual(firedOn(injection, closed), []);
  const otherClosed = [...closed];
  otherClosed[2] = call('CloseHandle', { Handle: '0x1b0' });
  assert.deepEqual(firedOn(injection, otherClosed), ['r']);
});

test('within calls: the span from first to last call is at most N calls', () => {
  const rules = ruleWith('  sequence:\n    within: {calls: 4}\n    steps: [{api: A}, {api: B}]\n');
  const filler = (n: number): Call[] => Array.from({ length: n }, () => call('F'));
  assert.deepEqual(firedOn(rules, [call('A'), ...filler(2), call('B')]), ['r']);
  assert.deepEqual(firedOn(rules, [call('A'), ...filler(3), call('B')]), []);
  // a later A restarts the window
  assert.deepEqual(firedOn(rules, [call('A'), ...filler(3), call('A'), call('B')]), ['r']);
});

test('within seconds: measured on call times; ignored when calls have no times', () => {
  const rules = ruleWith('  sequence:\n    within: {seconds: 2.5}\n    steps: [{api: A}, {api: B}]\n');
  assert.deepEqual(firedOn(rules, [call('A', {}, { ts: 10 }), call('B', {}, { ts: 12.5 })]), ['r']);
  assert.deepEqual(firedOn(rules, [call('A', {}, { ts: 10 }), call('B', {}, { ts: 12.6 })]), []);
  assert.deepEqual(firedOn(rules, [call('A'), call('B')]), ['r']);
});

test('count: at least N calls in a window; a repeated record counts for every call it stands for', () => {
  const rules = ruleWith('  count:\n    api: GetAsyncKeyState\n    min: 5\n    within: {seconds: 1}\n');
  const burst = (times: number[]) => times.map((ts) => call('GetAsyncKeyState', {}, { ts }));
  assert.deepEqual(firedOn(rules, burst([0, 0.2, 0.4, 0.6, 0.8])), ['r']);
  assert.deepEqual(firedOn(rules, burst([0, 0.3, 0.6, 0.9, 1.2, 1.5])), []);
  assert.deepEqual(firedOn(rules, [call('GetAsyncKeyState', {}, { ts: 0, repeated: 4 })]), ['r']);
  assert.deepEqual(firedOn(rules, [call('GetAsyncKeyState', {}, { ts: 0, repeated: 3 })]), []);
});

test('count distinct: distinct APIs of a set, or distinct values of an argument', () => {
  const apis = ruleWith('  count:\n    api: A|B|C|D\n    distinct: api\n    min: 3\n');
  assert.deepEqual(firedOn(apis, [call('A'), call('A'), call('B'), call('A')]), []);
  assert.deepEqual(firedOn(apis, [call('A'), call('B'), call('A'), call('D')]), ['r']);
  const files = ruleWith(
    '  count:\n    api: NtWriteFile\n    distinct: filename\n    min: 3\n    within: {calls: 10}\n',
  );
  const write = (f: string) => call('NtWriteFile', { HandleName: f });
  assert.deepEqual(firedOn(files, [write('a'), write('A'), write('b'), write('b')]), []);
  assert.deepEqual(firedOn(files, [write('a'), write('b'), write('c')]), ['r']);
  const spread = [write('a'), ...Array.from({ length: 10 }, () => call('F')), write('b'), write('c')];
  assert.deepEqual(firedOn(files, spread), []);
});

test('all / any / not', () => {
  const all = ruleWith('  all:\n    - call: {api: A}\n    - call: {api: B}\n    - not: {call: {api: C}}\n');
  assert.deepEqual(firedOn(all, [call('B'), call('A')]), ['r']);
  assert.deepEqual(firedOn(all, [call('A')]), []);
  assert.deepEqual(firedOn(all, [call('C'), call('A'), call('B')]), []);
  const any = ruleWith('  any:\n    - call: {api: A}\n    - sequence: {steps: [{api: B}, {api: C}]}\n');
  assert.deepEqual(firedOn(any, [call('C'), call('B')]), []);
  assert.deepEqual(firedOn(any, [call('B'), call('C')]), ['r']);
  assert.deepEqual(firedOn(any, [call('A')]), ['r']);
});

test('a rule fires once per process, on the call that completes it (streaming API)', () => {
  const rules = ruleWith('  sequence:\n    steps: [{api: A}, {api: B}]\n');
  const state = rules.newProcessState();
  const fed = ['A', 'X', 'B', 'A', 'B'].map((api, i) => rules.feed(state, call(api), i));
  assert.deepEqual(
    fed.map((hits) => hits.length),
    [0, 0, 1, 0, 0],
  );
  assert.equal(fed[2][0].rule, 'r');
  assert.equal(fed[2][0].severity, 'high');
  assert.deepEqual(
    fed[2][0].evidence.map((e) => e.index),
    [0, 2],
  );
  const fresh = rules.newProcessState();
  assert.equal(rules.feed(fresh, call('A'), 0).length, 0);
  assert.equal(rules.feed(fresh, call('B'), 1).length, 1);
});

test('scope tree: a rule sees the calls of child processes; process scope does not', () => {
  const seq = '  sequence:\n    steps: [{api: CreateProcessInternalW}, {api: RegSetValueExW}]\n';
  const tree = ruleWith(seq, 'scope: tree\n');
  const own = ruleWith(seq);
  const trace = {
    id: 't',
    format: 'jsonl',
    processes: [
      { pid: 10, calls: [call('CreateProcessInternalW', {}, { ts: 1 })] },
      { pid: 11, ppid: 10, calls: [call('RegSetValueExW', {}, { ts: 2 })] },
    ],
  };
  const [hit] = tree.matchTrace(trace);
  assert.equal(hit.pid, 10);
  assert.deepEqual(
    hit.evidence.map((e) => [e.pid, e.index]),
    [
      [10, 0],
      [11, 0],
    ],
  );
  assert.deepEqual(own.matchTrace(trace), []);
  // streaming: descendant calls are fed with their pid; process-scoped rules ignore them
  const state = own.newProcessState();
  own.feed(state, call('CreateProcessInternalW'), 0);
  assert.deepEqual(own.feed(state, call('RegSetValueExW'), 0, 11), []);
});

test(`memory bound: at most ${MAX_PARTIALS} partial matches per sequence; the oldest are dropped`, () => {
  const opens = Array.from({ length: MAX_PARTIALS + 10 }, (_, i) =>
    call('OpenProcess', {}, { ret: 0x1000 + i }),
  );
  const finish = (h: number) => [
    call('WriteProcessMemory', { ProcessHandle: h }),
    call('CreateRemoteThread', { ProcessHandle: h }),
  ];
  assert.deepEqual(firedOn(injection, [...opens, ...finish(0x1000)]), []);
  assert.deepEqual(firedOn(injection, [...opens, ...finish(0x1000 + MAX_PARTIALS + 9)]), ['r']);
  const state = injection.newProcessState();
  for (const [i, c] of opens.entries()) injection.feed(state, c, i);
  const partials = (state.rules[0] as unknown as { partials: Map<string, unknown> }).partials;
  assert.equal(partials.size, MAX_PARTIALS);
});

test('__proto__ and constructor as API and argument names are plain data', () => {
  const rules = ruleWith(
    '  sequence:\n    steps:\n      - api: __proto__\n        args: {__proto__: {equals: x}, constructor: y}\n        bind: {v: __proto__}\n      - api: constructor\n        args: {toString: $v}\n',
  );
  const hostile: Call = {
    api: '__proto__',
    args: new Map([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]),
  };
  const calls = [hostile, call('constructor', { toString: 'x' })];
  assert.deepEqual(firedOn(rules, calls), ['r']);
  assert.deepEqual(firedOn(rules, [call('__proto__'), call('constructor', { toString: 'x' })]), []);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
});
