// Rule files: schema errors name file, line and field; compile errors too; lint exits 1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatProblem, loadRules, parseRules } from '../../src/rules/load.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const typo = join(repoRoot, 'test/fixtures/rules/typo.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'malgram-rules-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a typo in a rule file is an error naming file, line and field', () => {
  const { rules, problems } = loadRules([typo]);
  const lines = problems.map(formatProblem);
  assert.ok(
    lines.includes(`${typo}:12: match.sequence.steps.1.args.processhandle.equls: unknown field "equls"`),
    lines.join('\n'),
  );
  assert.ok(lines.includes(`${typo}:18: severty: unknown field "severty"`), lines.join('\n'));
  assert.ok(lines.includes(`${typo}:14: severity: required field is missing`), lines.join('\n'));
  assert.deepEqual(
    rules.map((r) => [r.id, r.line]),
    [['fine', 20]],
  );
});

test('compile errors: bad regular expression, unbound variable, lone not, bad number', () => {
  const rule = (match: string) => `id: x\ntitle: X\nseverity: low\nverdict: suspicious\nmatch:\n${match}`;
  const problem = (match: string) => parseRules(rule(match), 'f.yaml').problems.map(formatProblem);
  assert.deepEqual(problem("  call: {api: A, args: {a: {regex: '(('}}}\n"), [
    'f.yaml:6: match.call.args.a.regex: invalid regular expression "((": error parsing regexp: missing closing ): `((`',
  ]);
  assert.deepEqual(
    problem('  sequence:\n    steps:\n      - api: A\n      - api: B\n        args: {h: $h}\n'),
    ['f.yaml:10: match.sequence.steps.1.args.h.equals: variable $h is not bound by an earlier step'],
  );
  assert.deepEqual(problem('  not: {call: {api: A}}\n'), [
    'f.yaml:6: match.not: `not` is only allowed as a member of `all`',
  ]);
  assert.deepEqual(problem('  call: {api: A, args: {a: {gt: ten}}}\n'), [
    'f.yaml:6: match.call.args.a.gt: "ten" is not an integer (decimal or 0x hex)',
  ]);
  assert.deepEqual(problem('  call: {api: A}\n  count: {api: B, min: 2}\n'), [
    'f.yaml:6: match: an expression has exactly one of: call, sequence, count, all, any, not',
  ]);
});

test('YAML syntax errors and duplicate ids are reported with their line', () => {
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'id: a\ntitle: [unclosed\n');
  const dup = join(tmp, 'dup.yaml');
  const body = 'title: T\nseverity: low\nverdict: suspicious\nmatch: {call: {api: A}}\n';
  writeFileSync(
    dup,
    `- id: same\n  ${body.replace(/\n(?=.)/g, '\n  ')}- id: same\n  ${body.replace(/\n(?=.)/g, '\n  ')}`,
  );
  const { problems } = loadRules([bad, dup]);
  assert.equal(problems[0].file, bad);
  assert.ok(problems[0].line >= 2);
  const dupProblem = problems.find((p) => p.file === dup);
  assert.equal(dupProblem?.line, 6);
  assert.match(dupProblem?.message ?? '', /duplicate rule id same \(first at .*dup\.yaml:1\)/);
});

test('`rules lint` exits 0 on the starter set and 1 with file:line: field: message on a typo', async () => {
  const ok = await runCli(['rules', 'lint', 'rules']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /^\d+ rules in \d+ files, 0 problems/m);
  const bad = await runCli(['rules', 'lint', typo]);
  assert.equal(bad.code, 1);
  assert.ok(bad.stderr.includes(`${typo}:18: severty: unknown field "severty"`), bad.stderr);
  const json = await runCli(['rules', 'lint', '--json', typo]);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.rules.length, 1);
  assert.ok(
    doc.problems.some(
      (p: { field: string }) => p.field === 'match.sequence.steps.1.args.processhandle.equls',
    ),
  );
  assert.throws(() => loadRules([join(tmp, 'nope')]), /nope: no such rule file or folder/);
});
