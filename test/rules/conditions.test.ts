// Every condition operator, on real compiled rules fed real calls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArgValue } from '../../src/core/trace.js';
import { call, firedOn, ruleWith } from './rule-helpers.js';

/** Whether a one-call rule with `args: {a: <condition>}` fires on a call whose `a` is `value`. */
function holds(condition: string, value: ArgValue | undefined): boolean {
  const rules = ruleWith(`  call:\n    api: X\n    args:\n      a: ${condition}\n`);
  return firedOn(rules, [call('X', value === undefined ? {} : { a: value })]).length === 1;
}

const cases: [string, ArgValue | undefined, boolean][] = [
  ['abc', 'abc', true],
  ['abc', 'ABC', false],
  ['{equals: abc}', 'abcd', false],
  ['{iequals: abc}', 'ABC', true],
  ['{equals: 0x1a4}', 420, true],
  ["{equals: '0x000001A4'}", '0x1a4', true],
  ['{equals: 420}', '0x000001a5', false],
  ['[a, b, c]', 'b', true],
  ['[a, b, c]', 'd', false],
  ['{contains: lsass}', 'C:\\Windows\\lsass.exe', true],
  ['{contains: LSASS}', 'C:\\Windows\\lsass.exe', false],
  ['{icontains: LSASS}', 'C:\\Windows\\lsass.exe', true],
  ['{startswith: "C:"}', 'C:\\x', true],
  ['{istartswith: "c:"}', 'C:\\x', true],
  ['{startswith: "c:"}', 'C:\\x', false],
  ['{endswith: .exe}', 'a.exe', true],
  ['{iendswith: .EXE}', 'a.exe', true],
  ['{endswith: .EXE}', 'a.exe', false],
  ["{glob: 'C:\\Users\\*\\AppData\\*.exe'}", 'C:\\Users\\bob\\AppData\\Roaming\\x.exe', true],
  ["{glob: 'C:\\Users\\*\\AppData\\*.exe'}", 'C:\\Users\\bob\\Desktop\\x.exe', false],
  ["{glob: 'a?c'}", 'abc', true],
  ["{glob: 'a?c'}", 'abbc', false],
  ["{iglob: '*.DLL'}", 'x.dll', true],
  ["{glob: 'a.c'}", 'abc', false],
  ["{regex: '^vss(admin)?\\.exe\\s+delete'}", 'vssadmin.exe delete shadows', true],
  ["{regex: 'delete'}", 'DELETE', false],
  ["{iregex: 'delete'}", 'DELETE', true],
  ['{gt: 0x1000}', '0x00001001', true],
  ['{gt: 0x1000}', 4096, false],
  ['{ge: 4096}', '0x1000', true],
  ['{lt: 3}', '2', true],
  ['{le: 2}', 3, false],
  ['{lt: 3}', 'two', false],
  ["{gt: '0xfffffffffffffffe'}", '0xffffffffffffffff', true],
  ['{bits_all: 0x40}', '0x00000040', true],
  ['{bits_all: 0x1010}', '0x00001000', false],
  ['{bits_any: 0xc0}', 128, true],
  ['{bits_any: 0xc0}', '0x04', false],
  ['{exists: true}', 'x', true],
  ['{exists: true}', undefined, false],
  ['{exists: false}', undefined, true],
  ['{not: {equals: x}}', 'y', true],
  ['{not: {equals: x}}', 'x', false],
  // absent argument: unknown, so neither a condition nor its negation holds (only `exists` asks)
  ['{not: {equals: x}}', undefined, false],
  ['{not: {not: {equals: x}}}', undefined, false],
  ['{not: {gt: 3}}', undefined, false],
  ['{not: {regex: x}}', undefined, false],
  ['{any: [{equals: x}, {not: {equals: y}}]}', undefined, false],
  ['{any: [{exists: false}, {equals: y}]}', undefined, true],
  ['{not: {any: [{exists: true}, {equals: y}]}}', undefined, false],
  ['{not: {gt: 3}}', 'two', true],
  ['{any: [{equals: x}, {startswith: y}]}', 'yes', true],
  ['{any: [{equals: x}, {startswith: y}]}', 'no', false],
  ['{icontains: a, iendswith: z}', 'xAyz', true],
  ['{icontains: a, iendswith: z}', 'xAyq', false],
  ["{equals: '$$h'}", '$h', true],
];

for (const [condition, value, expected] of cases) {
  test(`${condition} on ${JSON.stringify(value)} → ${expected}`, () => {
    assert.equal(holds(condition, value), expected);
  });
}

test('argument names are normalised across sandbox versions (case, underscores, aliases)', () => {
  const rules = ruleWith(
    '  call:\n    api: NtOpenProcess\n    args: {processid: 612, processhandle: 0x1a4}\n',
  );
  assert.equal(
    firedOn(rules, [call('NtOpenProcess', { ProcessId: '612', ProcessHandle: '0x000001a4' })]).length,
    1,
  );
  assert.equal(
    firedOn(rules, [call('NtOpenProcess', { process_identifier: 612, process_handle: '0x1a4' })]).length,
    1,
  );
  assert.equal(
    firedOn(rules, [call('NtOpenProcess', { ProcessIdentifier: '613', ProcessHandle: '0x1a4' })]).length,
    0,
  );
  assert.equal(
    firedOn(rules, [call('ntopenprocess', { ProcessId: '612', ProcessHandle: '0x1a4' })]).length,
    1,
  );
});

test('status and return-value conditions', () => {
  const rules = ruleWith('  call:\n    api: NtOpenKey\n    status: true\n    ret: {equals: 0}\n');
  assert.equal(firedOn(rules, [call('NtOpenKey', {}, { status: true, ret: '0x00000000' })]).length, 1);
  assert.equal(firedOn(rules, [call('NtOpenKey', {}, { status: false, ret: '0x00000000' })]).length, 0);
  assert.equal(firedOn(rules, [call('NtOpenKey', {}, { status: true, ret: '0xc0000034' })]).length, 0);
});

test('a pathological regular expression on a long argument completes (linear-time engine)', () => {
  const rules = ruleWith("  call:\n    api: X\n    args:\n      a: {regex: '(a+)+$'}\n");
  const evil = `${'a'.repeat(50_000)}!`;
  assert.equal(firedOn(rules, [call('X', { a: evil })]).length, 0);
  assert.equal(firedOn(rules, [call('X', { a: 'aaaa' })]).length, 1);
  const nested = ruleWith("  call:\n    api: X\n    args:\n      a: {iregex: '^(a|aa)+(b|ab)*$'}\n");
  assert.equal(firedOn(nested, [call('X', { a: `${'a'.repeat(50_000)}c` })]).length, 0);
});
