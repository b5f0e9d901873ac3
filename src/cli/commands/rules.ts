// `malgram rules lint|test|suggest`: validate rule files; backtest rules on a labelled corpus; draft
// rules from a model's weights.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { formatProportion } from '../../evaluate/intervals.js';
import { expandPaths, loadSamples, openSamples } from '../../ingest/source.js';
import { loadModel } from '../../learn/model.js';
import { type BacktestResult, backtest, backtestJson, unusableCriterion } from '../../rules/backtest.js';
import { formatProblem, loadRules } from '../../rules/load.js';
import { compileRules } from '../../rules/matcher.js';
import { suggestionJson, suggestRules, writeSuggestions } from '../../rules/suggest.js';
import { log, printJson, progressBar } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface LintFlags {
  json?: boolean;
  quiet?: boolean;
}

interface TestFlags extends SourceFlags {
  rules: string[];
  positive?: string;
  maxFpr: string;
  json?: boolean;
  quiet?: boolean;
}

function lint(paths: string[], flags: LintFlags): void {
  const loaded = loadRules(paths);
  if (flags.json) {
    printJson({
      files: loaded.files.length,
      rules: loaded.rules.map((r) => ({
        id: r.id,
        file: r.file,
        line: r.line,
        verdict: r.verdict,
        severity: r.severity,
      })),
      problems: loaded.problems,
    });
  } else {
    for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
    log(
      `${loaded.rules.length} rules in ${loaded.files.length} files, ${loaded.problems.length} problems`,
      flags.quiet,
    );
  }
  if (loaded.problems.length > 0) process.exitCode = 1;
}

function printText(r: BacktestResult): void {
  const counts = [...r.labels.entries()].map(([l, n]) => `${JSON.stringify(l)}: ${n}`);
  if (r.unlabelled) counts.push(`unlabelled: ${r.unlabelled}`);
  const lines = [
    `${r.samples} samples (${counts.join(', ')}); positive label ${JSON.stringify(r.positive)}`,
    `error budget ${(100 * r.maxErrorRate).toFixed(2)}%: ${unusableCriterion}`,
    '',
  ];
  for (const rule of r.rules) {
    const hits = [...rule.hits.entries()].map(([l, n]) => `${JSON.stringify(l)}: ${n}`).join(', ') || 'none';
    lines.push(
      `${rule.id} (${rule.verdict}, ${rule.severity}) ${rule.status.toUpperCase()}${rule.reason ? ` — ${rule.reason}` : ''}`,
      `  hits per label: ${hits}`,
      `  precision ${formatProportion(rule.precision)}  TPR ${formatProportion(rule.tpr)}  FPR ${formatProportion(rule.fpr)}`,
    );
    for (const [label, ids] of rule.samples) {
      const shown = ids.slice(0, 5).join(', ');
      const total = rule.hits.get(label) ?? ids.length;
      lines.push(
        `  hit ${JSON.stringify(label)}: ${shown}${total > 5 ? `, ... (${total} in all; --json lists more)` : ''}`,
      );
    }
  }
  lines.push('', `${r.calls} call records in ${r.seconds.toFixed(2)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function test(flags: TestFlags): Promise<void> {
  const maxFpr = Number(flags.maxFpr);
  if (!(maxFpr >= 0 && maxFpr <= 1))
    throw new InputError(`--max-fpr must be a number in [0, 1], got ${flags.maxFpr}`);
  const loaded = loadRules(flags.rules);
  if (loaded.problems.length > 0) {
    for (const p of loaded.problems) process.stderr.write(`${formatProblem(p)}\n`);
    throw new InputError(
      `${loaded.problems.length} problems in the rule files (see above; run \`malgram rules lint\`)`,
      '--rules',
    );
  }
  if (loaded.rules.length === 0)
    throw new InputError(`no rules found in ${flags.rules.join(', ')}`, '--rules');
  const compiled = compileRules(loaded.rules);
  const src = sourceFromOptions(flags, [], { detail: 'full' });
  let totalBytes = 0;
  if (src.data) for (const f of await expandPaths(src.data)) totalBytes += statSync(f).size;
  const bar = progressBar('backtest', totalBytes, flags.quiet || totalBytes === 0, 'bytes');
  // onProgress reports bytes read of the current file; a smaller number means the next file began.
  let doneFiles = 0;
  let inFile = 0;
  let shown = 0;
  src.onProgress = (bytes) => {
    if (bytes < inFile) doneFiles += inFile;
    inFile = bytes;
    bar.tick(doneFiles + bytes - shown);
    shown = doneFiles + bytes;
  };
  const result = await backtest(openSamples(src), compiled, {
    positive: flags.positive,
    maxErrorRate: maxFpr,
  });
  bar.stop();
  if (flags.json) printJson(backtestJson(result));
  else printText(result);
}

interface SuggestFlags extends SourceFlags {
  model: string;
  label?: string;
  positive?: string;
  top: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InputError(`${flag} must be an integer from 1 to 10000, got ${value}`);
  return n;
}

async function suggest(flags: SuggestFlags): Promise<void> {
  const top = positiveInt(flags.top, '--top');
  const model = loadModel(flags.model);
  if (!model.native)
    throw new InputError(
      'the model has no malgram API n-gram converter: cannot read n-grams back',
      flags.model,
    );
  const labels = model.labels();
  const positive = flags.positive ?? (labels.includes('malware') ? 'malware' : '1');
  const label = flags.label ?? positive;
  if (!labels.includes(label))
    throw new InputError(
      `label ${JSON.stringify(label)} is not known to the model (${labels.join(', ')})`,
      '--label',
    );
  const src = sourceFromOptions(flags, [], { detail: 'api' });
  log('reading the corpus...', flags.quiet);
  const traces = await loadSamples(src);
  const result = await suggestRules(model, traces, { label, positive, ngram: model.native.ngram, top });
  const written = flags.out ? writeSuggestions(result, flags.out) : undefined;
  if (flags.json) {
    printJson({
      label: result.label,
      samples: result.samples,
      features_read: result.featuresRead,
      features_parsed: result.featuresParsed,
      candidates: result.candidates,
      ...(written ? { written } : {}),
      suggestions: result.suggestions.map((s) => ({ ...suggestionJson(s), match: s.rule.match })),
    });
    return;
  }
  const lines = [
    `${result.candidates} candidate rules from ${result.featuresParsed} n-grams (of ${result.featuresRead} top features) for label ${JSON.stringify(label)}, measured on ${result.samples} samples; most useful first:`,
  ];
  for (const s of result.suggestions) {
    lines.push(
      `${s.id}  ${s.rule.title}`,
      `  support ${s.support}  precision ${formatProportion(s.precision)}  FPR ${formatProportion(s.fpr)}`,
    );
  }
  if (written) lines.push(`written to ${written}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command): void {
  const rules = program
    .command('rules')
    .description('behaviour rules: lint, backtest and suggest rule files');
  rules
    .command('lint')
    .description('validate rule files (YAML); exit 1 listing file:line: field: message for every problem')
    .argument('<paths...>', 'rule files or folders (folders: every .yaml/.yml inside, recursively)')
    .option('--json', 'machine-readable output')
    .option('--quiet', 'no summary line')
    .action((paths: string[], flags: LintFlags) => lint(paths, flags));
  addSourceOptions(
    rules
      .command('test')
      .description(
        'backtest rules on a labelled corpus: hits per label, precision, TPR, FPR with 95% intervals',
      )
      .requiredOption('--rules <paths...>', 'rule files or folders')
      .option('--positive <label>', 'label of malicious samples (default: malware if present, else 1)')
      .option(
        '--max-fpr <rate>',
        'error budget: a rule whose error rate is above it with 95% confidence is unusable',
        '0.01',
      )
      .option('--json', 'machine-readable output')
      .option('--quiet', 'no progress bar'),
  ).action((flags: TestFlags) => test(flags));
  addSourceOptions(
    rules
      .command('suggest')
      .description(
        "draft rules from the model's highest-weight n-grams (and pairs of them), each measured on a corpus: support, precision, FPR",
      )
      .requiredOption('--model <file>', 'model file (with API n-gram features)')
      .option('--label <label>', 'the label to suggest rules for (default: the positive label)')
      .option('--positive <label>', 'label of malicious samples (default: malware if known, else 1)')
      .option('--top <k>', 'number of drafts', '20')
      .option('--out <dir>', 'write the drafts as a YAML rule file into this folder')
      .option('--json', 'machine-readable output')
      .option('--quiet', 'no progress messages'),
  ).action((flags: SuggestFlags) => suggest(flags));
}
