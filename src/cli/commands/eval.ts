// `malgram eval`: train/test evaluation with confidence intervals, sweeps and an HTML report.
// `--rules DIR` adds model alone / rules alone / hybrid side by side (src/rules/compare.ts);
// `--early 10,50,...` adds the early-detection evaluation of `watch` (src/detect/early.ts).

import { type Command, Option } from 'commander';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { InputError } from '../../core/errors.js';
import type { Trace } from '../../core/trace.js';
import { earlyDetection, formatEarlyTable } from '../../detect/early.js';
import { loadStreamingRules } from '../../detect/rules-adapter.js';
import { type CalibrationMethod, calibrationMethods } from '../../evaluate/calibration.js';
import type { DeploymentView } from '../../evaluate/deployment.js';
import { formatProportion, type IntervalMethod } from '../../evaluate/intervals.js';
import type { OrderSpread, RateSpread } from '../../evaluate/order-spread.js';
import { type PeriodUnit, periodUnits } from '../../evaluate/over-time.js';
import { renderReport } from '../../evaluate/report.js';
import {
  type EvalResult,
  type EvalRun,
  type EvalSetting,
  type RunExtras,
  runEvaluation,
  type SplitPlan,
  type TrainedSplit,
} from '../../evaluate/run.js';
import { parseNgram } from '../../features/config.js';
import { compareWithRules, type ScoredOutcome } from '../../rules/compare.js';
import type { HybridPolicy } from '../../rules/hybrid.js';
import type { CompiledRules } from '../../rules/matcher.js';
import { log, printJson, progressBar } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';
import { type HybridFlags, loadCompiledRules, policyFromFlags } from './classify.js';

interface EvalFlags extends SourceFlags, Omit<HybridFlags, 'positive'> {
  early?: string;
  method: string;
  ngram: string;
  sampleWeight?: string;
  globalWeight?: string;
  regularization?: string;
  split?: string;
  trainPerLabel?: string;
  testPerLabel?: string;
  folds?: string;
  byTime?: boolean;
  bySource?: boolean;
  bySequenceHash?: boolean;
  orders: string;
  period: PeriodUnit;
  seed: string;
  positive?: string;
  ci: IntervalMethod;
  targetFpr?: string;
  prevalence?: string;
  volume?: string;
  keepDuplicates?: boolean;
  calibration: CalibrationMethod;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

function numberFlag(flag: string, text: string, check: (x: number) => boolean, what: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !check(x))
    throw new InputError(`must be ${what}, got '${text}'`, flag);
  return x;
}
const isInt = (min: number) => (x: number) => Number.isInteger(x) && x >= min;
const inOpen01 = (x: number) => x > 0 && x < 1;

/** `3`, `1-6` (a sweep over 1..6) or `2,3,5`. */
function ngramSizes(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const r = parseNgram(part.trim(), '--ngram');
    for (let n = r.min; n <= r.max; n++) if (!out.includes(n)) out.push(n);
  }
  return out;
}

function splitPlan(f: EvalFlags): SplitPlan {
  const chosen = [
    f.folds !== undefined && '--folds',
    f.byTime && '--by-time',
    f.bySource && '--by-source',
    f.bySequenceHash && '--by-sequence-hash',
    (f.trainPerLabel !== undefined || f.testPerLabel !== undefined) && '--train-per-label/--test-per-label',
  ].filter(Boolean);
  if (chosen.length > 1) throw new InputError(`choose one split: ${chosen.join(', ')}`, 'eval');
  const fraction =
    f.split === undefined ? 0.5 : numberFlag('--split', f.split, inOpen01, 'a training share in (0, 1)');
  if (f.folds !== undefined) {
    if (f.split !== undefined) throw new InputError('--split and --folds exclude each other', 'eval');
    return { kind: 'folds', k: numberFlag('--folds', f.folds, isInt(2), 'an integer ≥ 2') };
  }
  if (f.trainPerLabel !== undefined || f.testPerLabel !== undefined) {
    if (f.trainPerLabel === undefined || f.testPerLabel === undefined) {
      throw new InputError('give both --train-per-label and --test-per-label', 'eval');
    }
    return {
      kind: 'per-label',
      trainPerLabel: numberFlag('--train-per-label', f.trainPerLabel, isInt(1), 'an integer ≥ 1'),
      testPerLabel: numberFlag('--test-per-label', f.testPerLabel, isInt(1), 'an integer ≥ 1'),
    };
  }
  if (f.bySequenceHash) {
    if (f.split !== undefined)
      throw new InputError('--split and --by-sequence-hash exclude each other', 'eval');
    return { kind: 'sequence-hash' };
  }
  if (f.byTime) return { kind: 'time', trainFraction: fraction, period: f.period };
  if (f.bySource) return { kind: 'source', trainFraction: fraction };
  return { kind: 'ratio', trainFraction: fraction };
}

/** `10,25,50`: prefix lengths in calls for `--early`. */
function prefixList(text: string): number[] {
  const out = text
    .split(',')
    .map((p) => numberFlag('--early', p, isInt(1), 'a list of integers ≥ 1 (calls)'));
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Model alone, rules alone and hybrid over the pooled test samples of every split. */
function rulesComparison(
  trained: TrainedSplit[],
  positive: string,
  rules: CompiledRules,
  policy: HybridPolicy,
  ruleVerdicts: WeakMap<Trace, string[]>,
): RunExtras['rules_comparison'] {
  const outcomes: ScoredOutcome[] = [];
  for (const part of trained) {
    for (const t of part.test) {
      let verdicts = ruleVerdicts.get(t);
      if (!verdicts) {
        verdicts = rules.matchTrace(t).map((h) => h.verdict);
        ruleVerdicts.set(t, verdicts);
      }
      const c = part.model.classify(t);
      let modelMalicious: boolean | null = null;
      if (!c.empty) {
        if (policy.threshold === undefined) modelMalicious = c.predicted === positive;
        else {
          let other = Number.NEGATIVE_INFINITY;
          for (const [l, v] of c.scores) if (l !== positive && v > other) other = v;
          modelMalicious = (c.scores.get(positive) ?? 0) - other >= policy.threshold;
        }
      }
      outcomes.push({ label: t.label ?? '', modelMalicious, ruleVerdicts: verdicts });
    }
  }
  return {
    ...compareWithRules(outcomes, positive, { ...policy, positive }),
    rules_count: rules.rules.length,
    threshold: policy.threshold ?? null,
  };
}

/** Side-by-side table of `rules_comparison`. */
function renderRulesTable(c: NonNullable<RunExtras['rules_comparison']>): string {
  const head = ['detector', 'TPR', 'FPR', 'precision'];
  const rows = (['model', 'rules', 'combined'] as const).map((k) => [
    k === 'combined' ? 'model + rules' : `${k} alone`,
    formatProportion(c[k].tpr),
    formatProportion(c[k].fpr),
    formatProportion(c[k].precision),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [
    `model, ${c.rules_count ?? 0} rule${c.rules_count === 1 ? '' : 's'} and both (positive ${JSON.stringify(c.positive)}; a detection is a malicious verdict):`,
    ...[head, ...rows].map((r) =>
      r
        .map((cell, i) => pad(cell, widths[i]))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** A readable table, one row per run, every rate with its interval and counts. */
export function renderTable(runs: EvalRun[]): string {
  const head = ['method', 'ngram', 'accuracy', 'TPR', 'FPR', 'AUC', 'macro-F1', 'train s'];
  const rows = runs.map((r) => [
    r.method,
    String(r.ngram),
    formatProportion(r.accuracy_interval),
    formatProportion(r.tpr),
    formatProportion(r.fpr),
    `${r.auc.toFixed(4)} [${r.auc_interval.lo.toFixed(3)}–${r.auc_interval.hi.toFixed(3)}]`,
    r.macro_f1.toFixed(4),
    r.timing.train_s.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => pad(c, widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The spread over training orders: a heading, then `  accuracy: min 85.2% (987/1159) · mean 87.8% · max 91.8% (1064/1159)`, TPR, FPR. */
function renderOrderSpread(o: OrderSpread): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const at = (s: RateSpread, x: number) => {
    const p = s.values.find((v) => v.value === x);
    return p ? ` (${p.k}/${p.n})` : '';
  };
  const line = (name: string, s: RateSpread) =>
    `  ${name}: min ${pct(s.min)}${at(s, s.min)} · mean ${pct(s.mean)} · max ${pct(s.max)}${at(s, s.max)}`;
  const seeds = o.order_seeds;
  return [
    `over ${o.orders} training orders (order seeds ${seeds[0]}–${seeds[seeds.length - 1]}; same split, same test samples):`,
    line('accuracy', o.accuracy),
    line('TPR', o.tpr),
    line('FPR', o.fpr),
  ].join('\n');
}

function renderSummary(result: EvalResult): string {
  const r = result.runs[0];
  const d = result.dataset;
  const lines = [
    `${d.samples} labelled samples (${d.labels.map((l) => `${l.label}: ${l.count}`).join(', ')}); ${d.duplicates_grouped} duplicates grouped into ${d.groups} groups`,
    `${r.split}, seed ${r.seed}: ${r.n_train} train / ${r.n_test} test; positive label ${JSON.stringify(r.positive)}; ${r.ci} 95% intervals`,
    '',
    renderTable(result.runs),
  ];
  for (const run of result.runs) {
    const head = result.runs.length > 1 ? `${run.method} ${run.ngram}-gram: ` : '';
    if (run.orders) lines.push('', head + renderOrderSpread(run.orders));
    if (run.rules_comparison) lines.push('', head + renderRulesTable(run.rules_comparison));
    if (run.early) {
      lines.push(
        '',
        `${head}${run.early.split ? `(${run.early.split}) ` : ''}${formatEarlyTable(run.early)}`,
      );
    }
  }
  if (result.runs.length === 1) {
    lines.push('', 'confusion (rows actual, columns predicted):');
    const labels = r.confusion.labels;
    const w = Math.max(8, ...labels.map((l) => JSON.stringify(l).length));
    lines.push(`${' '.repeat(w)}  ${labels.map((l) => pad(JSON.stringify(l), w)).join('  ')}`);
    r.confusion.matrix.forEach((row, i) => {
      lines.push(`${pad(JSON.stringify(labels[i]), w)}  ${row.map((c) => pad(String(c), w)).join('  ')}`);
    });
    if (r.target_fpr) {
      const t = r.target_fpr;
      lines.push(
        '',
        `threshold for FPR ≤ ${t.target} (chosen on training scores: ${t.threshold.toFixed(4)}): TPR ${formatProportion(t.tpr)}, FPR ${formatProportion(t.fpr)}`,
      );
    }
    const deploymentLine = (dep: DeploymentView, where: string): string => {
      const e = (x: { value: number; lo: number; hi: number }, f: (v: number) => string) =>
        `${f(x.value)} [${f(x.lo)}–${f(x.hi)}]`;
      return `deployment ${where}at prevalence ${dep.prevalence}, ${dep.volume_per_day} samples/day: precision ${e(dep.precision, (v) => `${(100 * v).toFixed(2)}%`)}, false alarms/day ${e(dep.false_alarms_per_day, (v) => v.toFixed(1))}, detections/day ${e(dep.detections_per_day, (v) => v.toFixed(1))}`;
    };
    if (r.deployment) lines.push('', deploymentLine(r.deployment, ''));
    if (r.target_fpr?.deployment) lines.push(deploymentLine(r.target_fpr.deployment, 'with that threshold '));
    if (r.over_time) {
      lines.push(
        '',
        `per ${r.over_time.unit}: AUT(F1) ${r.over_time.aut_f1?.toFixed(4) ?? 'n/a (one period)'}`,
      );
      for (const p of r.over_time.periods) {
        lines.push(
          `  ${p.period}  n=${p.n}  TPR ${formatProportion(p.tpr)}  FPR ${formatProportion(p.fpr)}  F1 ${p.f1.toFixed(4)}`,
        );
      }
    }
    lines.push(
      '',
      `calibration (${r.calibration.method}): Brier ${r.calibration.brier.toFixed(4)}, ECE ${r.calibration.ece.toFixed(4)}`,
    );
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('train/test evaluation with confidence intervals; sweeps over methods and n-gram sizes')
    .option(
      '--method <names>',
      'method, or a comma-separated list to sweep (arow,pa1,cw,perceptron,...)',
      'arow',
    )
    .option('--ngram <N>', 'n-gram size: N, a sweep A-B, or a list 2,3,5', '3')
    .option('--sample-weight <w>', 'bin, tf or log_tf', 'log_tf')
    .option('--global-weight <w>', 'bin, idf, idf1, bm25 or weight', 'bin')
    .option('--regularization <C>', 'regularization weight C', '1')
    .option('--split <R>', 'share of each label used for training (stratified random split; default 0.5)')
    .option('--train-per-label <N>', 'training samples per label (with --test-per-label)')
    .option('--test-per-label <M>', 'test samples per label')
    .option('--folds <K>', 'k-fold cross-validation (results pooled over the folds)')
    .option('--by-time', 'train on the older samples, test on the newer (share from --split, default 0.5)')
    .option('--by-source', 'whole sources on one side: train on some, test on the others')
    .option(
      '--by-sequence-hash',
      'deterministic split: identical sequences grouped, groups ordered by SHA-256 of their API names and dealt alternately to train and test per label',
    )
    .addOption(
      new Option('--period <unit>', 'period for --by-time metrics')
        .choices([...periodUnits])
        .default('month'),
    )
    .option('--seed <S>', 'seed of the split and the training order', '1')
    .option(
      '--orders <K>',
      'also train each split in K-1 other random orders (seeds S+1..S+K-1) and report the spread of accuracy, TPR and FPR',
      '1',
    )
    .option('--positive <label>', 'positive label (default: malware if present, else 1)')
    .addOption(
      new Option('--ci <method>', 'interval method')
        .choices(['wilson', 'clopper-pearson', 'agresti-coull', 'jeffreys'])
        .default('wilson'),
    )
    .option(
      '--target-fpr <F>',
      'pick the threshold meeting this FPR on training scores, report TPR/FPR on test',
    )
    .option(
      '--prevalence <P>',
      'malware share in deployment (with --volume): expected precision and false alarms',
    )
    .option('--volume <V>', 'samples per day in deployment', '1')
    .option('--keep-duplicates', 'do not group identical traces / sample ids (leaky; for comparison only)')
    .addOption(
      new Option('--calibration <method>', 'score calibration fitted on training scores')
        .choices([...calibrationMethods])
        .default('platt'),
    )
    .option('--rules <path...>', 'also evaluate these behaviour rules: model alone, rules alone and both')
    .option(
      '--threshold <margin>',
      'with --rules: the model calls a sample malicious when its positive margin ≥ this (default: argmax)',
    )
    .option('--suspicious-decides', 'with --rules: a suspicious rule hit alone counts as malicious')
    .option('--allow-overrides-rules', 'with --rules: an allow rule also overrides malicious rules')
    .option(
      '--early <calls>',
      'early detection: TPR/FPR after the first N calls for each N (e.g. 10,25,50,100,200,500,1000); threshold from --target-fpr (default 0.01) on training data',
    )
    .option('--report <file.html>', 'write a self-contained HTML report with charts')
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .option('--quiet', 'no progress or logs');
  addSourceOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExample:\n  malgram eval --data malbehavd-v1.csv --format csv --method arow --ngram 3 --split 0.5 --seed 1 --report out.html',
  );
  cmd.action(async (f: EvalFlags) => {
    const methods = f.method
      .split(',')
      .map((m) => m.trim().toLowerCase())
      .filter((m) => m !== '');
    if (methods.length === 0) throw new InputError('no method given', '--method');
    const settings: EvalSetting[] = methods.flatMap((method) =>
      ngramSizes(f.ngram).map((ngram) => ({ method, ngram })),
    );
    const seed = numberFlag('--seed', f.seed, isInt(0), 'an integer ≥ 0');
    const orders = numberFlag('--orders', f.orders, (x) => isInt(1)(x) && x <= 1000, 'an integer in 1..1000');
    const prevalence =
      f.prevalence === undefined
        ? undefined
        : numberFlag('--prevalence', f.prevalence, inOpen01, 'a share in (0, 1)');
    const volume = numberFlag('--volume', f.volume ?? '1', (x) => x > 0, 'a number > 0');
    const targetFpr =
      f.targetFpr === undefined
        ? undefined
        : numberFlag('--target-fpr', f.targetFpr, (x) => x >= 0 && x < 1, 'a rate in [0, 1)');
    const regularization = numberFlag(
      '--regularization',
      f.regularization ?? '1',
      (x) => x > 0,
      'a number > 0',
    );
    const split = splitPlan(f);
    const source = sourceFromOptions(f, [], { detail: 'api' });
    const rules = f.rules ? loadCompiledRules(f.rules) : undefined;
    const streamingRules = f.rules && f.early !== undefined ? loadStreamingRules(f.rules).rules : undefined;
    const policy = policyFromFlags({ ...f, positive: undefined });
    const prefixes = f.early === undefined ? undefined : prefixList(f.early);
    const ruleVerdicts = new WeakMap<Trace, string[]>();
    const analyse = (trained: TrainedSplit[], positive: string): RunExtras => {
      const extras: RunExtras = {};
      if (rules) extras.rules_comparison = rulesComparison(trained, positive, rules, policy, ruleVerdicts);
      if (prefixes) {
        const first = trained[0];
        const early = earlyDetection({
          model: first.model,
          train: first.train,
          test: first.test,
          positive,
          prefixes,
          targetFpr: targetFpr ?? 0.01,
          ...(streamingRules ? { rules: streamingRules } : {}),
        });
        extras.early = { split: first.splitName, ...early };
      }
      return extras;
    };
    let bar: ReturnType<typeof progressBar> | undefined;
    const result = await runEvaluation({
      source,
      settings,
      sampleWeight: f.sampleWeight,
      globalWeight: f.globalWeight,
      regularization,
      split,
      seed,
      orders,
      positive: f.positive,
      ci: f.ci,
      targetFpr,
      prevalence,
      volume,
      keepDuplicates: f.keepDuplicates === true,
      calibration: f.calibration,
      detail: rules ? 'full' : 'api',
      analyse,
      onRun: (done, total) => {
        bar ??= progressBar('eval', total, f.quiet, 'runs');
        bar.tick(done === 0 ? 0 : 1);
        if (done === total) bar.stop();
      },
    });
    if (f.report) {
      const html = await renderReport(
        result,
        `${(source.data ?? [source.db ?? '']).join(', ')} (${source.format ?? 'auto'})`,
      );
      writeFileAtomic(f.report, html);
      log(`report written to ${f.report}`, f.quiet);
    }
    if (f.json)
      printJson(result.runs.length === 1 && settings.length === 1 ? result.runs[0] : { runs: result.runs });
    else process.stdout.write(`${renderSummary(result)}\n`);
  });
}
