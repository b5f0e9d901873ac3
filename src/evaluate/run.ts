// `malgram eval`: load labelled samples once, group duplicates, split, then for every
// (method, n-gram) setting train a fresh model on the training side (in a seeded random order:
// online learners depend on order) and measure it on the test side. Every setting of a sweep
// uses the same split.
//
// Scores: the positive label's margin s(pos) − max over other labels. The target-FPR threshold
// and the calibration are fitted on *training* scores, taken by progressive validation (each
// training sample scored by the model just before it learns it; Blum, Kalai & Langford, COLT
// 1999) over the second half of the training stream, so they are not the optimistic scores of
// samples the model has already learned.
//
// With `orders` > 1 each split is also trained in K − 1 other seeded orders; the run's figures
// stay those of its own order (`seed`) and `orders` adds the spread (order-spread.ts).
//
// Later stages add their own analyses of each trained setting (`eval --rules`, `eval --early`)
// through `analyse`: it sees every split's trained model with its training and test traces, and
// its result is merged into the run (e.g. `rules_comparison`, `early`).
import { performance } from 'node:perf_hooks';
import { InputError } from '../core/errors.js';
import { seededRandom, shuffleInPlace } from '../core/random.js';
import { countCalls, type Trace } from '../core/trace.js';
import { configFromFlags } from '../features/config.js';
import { loadSamples, type SampleSource } from '../ingest/source.js';
import { createModel } from '../learn/model.js';
import type { Model } from '../learn/model-api.js';
import { type CalibrationMethod, type CalibrationReport, calibrationReport } from './calibration.js';
import { type DeploymentView, deploymentView } from './deployment.js';
import type { EarlyReport } from './early-report.js';
import type { IntervalMethod, Proportion } from './intervals.js';
import {
  accuracyOf,
  binaryRates,
  classificationMetrics,
  type LabelMetrics,
  type Outcome,
  ratesAtThreshold,
} from './metrics.js';
import { type OrderSpread, orderSpread } from './order-spread.js';
import { type OverTime, overTime, type PeriodUnit } from './over-time.js';
import { aucInterval, type RocPoint, rocCurve, type ScoredSample, thinRoc, thresholdForFpr } from './roc.js';
import {
  type Grouping,
  groupSamples,
  kFold,
  perLabelSplit,
  type Split,
  sequenceHashSplit,
  sourceSplit,
  stratifiedSplit,
  timeSplit,
} from './split.js';

export type SplitPlan =
  | { kind: 'ratio'; trainFraction: number }
  | { kind: 'per-label'; trainPerLabel: number; testPerLabel: number }
  | { kind: 'folds'; k: number }
  | { kind: 'time'; trainFraction: number; period: PeriodUnit }
  | { kind: 'source'; trainFraction: number }
  | { kind: 'sequence-hash' };

export interface EvalSetting {
  method: string;
  ngram: number;
}

export interface EvalOptions {
  source: SampleSource;
  settings: EvalSetting[];
  sampleWeight?: string;
  globalWeight?: string;
  regularization?: number;
  split: SplitPlan;
  seed: number;
  /** Training orders per split (default 1); the first is `seed`'s. */
  orders?: number;
  positive?: string;
  ci: IntervalMethod;
  targetFpr?: number;
  prevalence?: number;
  volume?: number;
  keepDuplicates: boolean;
  calibration: CalibrationMethod;
  /** Trace detail to load: `full` keeps call arguments (for rules); default `api`. */
  detail?: 'api' | 'full';
  /** Called before each (setting, split) training run. */
  onRun?: (done: number, total: number, what: string) => void;
  /** Extra analyses of one setting's trained split(s); the returned keys are added to its run. */
  analyse?: (trained: TrainedSplit[], positive: string) => RunExtras;
}

/** One split of one setting after training: what `analyse` works on. */
export interface TrainedSplit {
  setting: EvalSetting;
  splitName: string;
  model: Model;
  train: Trace[];
  test: Trace[];
}

/** TPR, FPR and precision of one detector, each with its interval and counts. */
interface RateView {
  tpr: Proportion;
  fpr: Proportion;
  precision: Proportion;
}

/** Keys other stages add to a run (shapes as the report renders them). */
export interface RunExtras {
  /** Model alone, rules alone and the hybrid policy on the same test samples (`eval --rules`). */
  rules_comparison?: {
    positive: string;
    rules_count?: number;
    threshold?: number | null;
    model: RateView;
    rules: RateView;
    combined: RateView;
  };
  /** Early detection per prefix length (`eval --early`), computed on one split. */
  early?: EarlyReport & { split?: string };
}

export interface TargetFprResult {
  target: number;
  /** Flag a sample when its positive margin is above this. */
  threshold: number;
  /** FPR on the training scores the threshold was chosen from. */
  train_fpr: number;
  /** What that threshold gives on the test set. */
  tpr: Proportion;
  fpr: Proportion;
  /** The deployment view at this threshold (with --prevalence). */
  deployment?: DeploymentView;
}

/** One setting's result: the `eval --json` contract keys first, then extras. */
export interface EvalRun {
  method: string;
  ngram: number;
  n_train: number;
  n_test: number;
  labels: string[];
  accuracy: number;
  macro_f1: number;
  positive: string;
  tpr: Proportion;
  fpr: Proportion;
  auc: number;
  per_label: Record<string, LabelMetrics>;
  timing: { extract_s: number; train_s: number; classify_s: number; calls: number };
  ci: IntervalMethod;
  confidence: number;
  accuracy_interval: Proportion;
  auc_interval: { lo: number; hi: number };
  sample_weight: string;
  global_weight: string;
  split: string;
  seed: number;
  duplicates_grouped: number;
  conflicting_groups: number;
  confusion: { labels: string[]; matrix: number[][] };
  roc: RocPoint[];
  calibration: CalibrationReport;
  target_fpr?: TargetFprResult;
  deployment?: DeploymentView;
  over_time?: OverTime;
  folds?: Array<{ name: string; n_train: number; n_test: number; accuracy: Proportion }>;
  orders?: OrderSpread;
  rules_comparison?: RunExtras['rules_comparison'];
  early?: RunExtras['early'];
}

/** What the report needs beyond the JSON: the test scores and one trained model. */
export interface EvalDetail {
  testScores: ScoredSample[];
  model: Model;
}

export interface EvalResult {
  runs: EvalRun[];
  details: EvalDetail[];
  dataset: {
    samples: number;
    unlabelled_skipped: number;
    labels: Array<{ label: string; count: number }>;
    duplicates_grouped: number;
    conflicting_groups: number;
    groups: number;
  };
}

/** `malware` when present, else `1`, else none (then --positive is required). */
function defaultPositive(labels: string[]): string | undefined {
  if (labels.includes('malware')) return 'malware';
  if (labels.includes('1')) return '1';
  return undefined;
}

function splitsFor(samples: Trace[], grouping: Grouping, opts: EvalOptions): Split[] {
  const p = opts.split;
  switch (p.kind) {
    case 'ratio':
      return [stratifiedSplit(grouping, p.trainFraction, opts.seed)];
    case 'per-label':
      return [perLabelSplit(grouping, p.trainPerLabel, p.testPerLabel, opts.seed)];
    case 'folds':
      return kFold(grouping, p.k, opts.seed);
    case 'time':
      return [timeSplit(samples, grouping, p.trainFraction)];
    case 'source':
      return [sourceSplit(samples, p.trainFraction, opts.seed, opts.keepDuplicates)];
    case 'sequence-hash':
      return [sequenceHashSplit(samples)];
  }
}

/** Every label must be on both sides, or binary rates and per-label metrics mean nothing. */
function checkSplit(samples: Trace[], split: Split, labels: string[]): void {
  for (const side of ['train', 'test'] as const) {
    const present = new Set(split[side].map((i) => samples[i].label));
    const missing = labels.filter((l) => !present.has(l));
    if (missing.length > 0) {
      throw new InputError(
        `the split leaves label ${missing.map((l) => JSON.stringify(l)).join(', ')} with no ${side} samples (${split.name}, ${split.train.length} train / ${split.test.length} test); use more data or another split`,
        '--split',
      );
    }
  }
}

/** The positive label's margin over the best other label. */
function positiveMargin(scores: Map<string, number>, positive: string): number {
  const own = scores.get(positive) ?? 0;
  let other = Number.NEGATIVE_INFINITY;
  for (const [l, s] of scores) if (l !== positive && s > other) other = s;
  return own - (other === Number.NEGATIVE_INFINITY ? 0 : other);
}

interface SplitRun {
  split: Split;
  outcomes: Array<Outcome & { time?: string }>;
  testScores: ScoredSample[];
  trainScores: ScoredSample[];
  trainS: number;
  classifyS: number;
  model: Model;
}

function runOne(
  samples: Trace[],
  split: Split,
  setting: EvalSetting,
  opts: EvalOptions,
  positive: string,
  orderSeed: number,
  /** Score the training stream (progressive validation) for the threshold and calibration. */
  scoreTraining = true,
): SplitRun {
  const model = createModel(
    configFromFlags({
      method: setting.method,
      ngram: setting.ngram,
      sampleWeight: opts.sampleWeight,
      globalWeight: opts.globalWeight,
      regularization: opts.regularization,
    }),
  );
  const order = shuffleInPlace([...split.train], seededRandom(orderSeed ^ 0x5eed));
  const trainScores: ScoredSample[] = [];
  const warmUp = scoreTraining ? Math.floor(order.length / 2) : order.length;
  let trainS = 0;
  order.forEach((i, pos) => {
    const t = samples[i];
    if (pos >= warmUp) {
      trainScores.push({
        positive: t.label === positive,
        score: positiveMargin(model.classify(t).scores, positive),
      });
    }
    const t0 = performance.now();
    model.train(t, t.label ?? '');
    trainS += performance.now() - t0;
  });
  const outcomes: SplitRun['outcomes'] = [];
  const testScores: ScoredSample[] = [];
  const t0 = performance.now();
  for (const i of split.test) {
    const t = samples[i];
    const c = model.classify(t);
    const o: Outcome & { time?: string } = { actual: t.label ?? '', predicted: c.predicted };
    if (t.time !== undefined) o.time = t.time;
    outcomes.push(o);
    testScores.push({ positive: t.label === positive, score: positiveMargin(c.scores, positive) });
  }
  const classifyS = (performance.now() - t0) / 1000;
  return { split, outcomes, testScores, trainScores, trainS: trainS / 1000, classifyS, model };
}

/** Loads the samples and runs every setting on the same split(s). */
export async function runEvaluation(opts: EvalOptions): Promise<EvalResult> {
  const t0 = performance.now();
  const loaded = await loadSamples({ ...opts.source, detail: opts.detail ?? 'api' });
  const extractS = (performance.now() - t0) / 1000;
  const samples = loaded.filter((t) => t.label !== undefined && t.label !== '');
  const unlabelled = loaded.length - samples.length;
  const labelCounts = new Map<string, number>();
  for (const t of samples) labelCounts.set(t.label ?? '', (labelCounts.get(t.label ?? '') ?? 0) + 1);
  const labels = [...labelCounts.keys()].sort();
  if (labels.length < 2) {
    throw new InputError(
      `found ${labels.length === 0 ? 'no labelled samples' : `only one label (${JSON.stringify(labels[0])}, ${samples.length} samples)`}: binary metrics need two labels`,
      'eval',
    );
  }
  const positive = opts.positive ?? defaultPositive(labels);
  if (positive === undefined) {
    throw new InputError(
      `no label "malware" or "1": name the positive label with --positive (labels: ${labels.join(', ')})`,
      '--positive',
    );
  }
  if (!labels.includes(positive)) {
    throw new InputError(
      `unknown label ${JSON.stringify(positive)} (labels: ${labels.map((l) => JSON.stringify(l)).join(', ')})`,
      '--positive',
    );
  }
  const grouping = groupSamples(samples, { keepDuplicates: opts.keepDuplicates });
  const splits = splitsFor(samples, grouping, opts);
  for (const s of splits) checkSplit(samples, s, labels);
  const calls = samples.reduce((acc, t) => acc + countCalls(t).records, 0);

  const runs: EvalRun[] = [];
  const details: EvalDetail[] = [];
  const orderSeeds = Array.from({ length: opts.orders ?? 1 }, (_, j) => opts.seed + j);
  const total = opts.settings.length * splits.length * orderSeeds.length;
  let done = 0;
  for (const setting of opts.settings) {
    const parts: SplitRun[] = [];
    const otherOrders: Outcome[][] = orderSeeds.slice(1).map(() => []);
    for (const split of splits) {
      const what = `${setting.method} ${setting.ngram}-gram, ${split.name}`;
      opts.onRun?.(done++, total, what);
      parts.push(runOne(samples, split, setting, opts, positive, opts.seed));
      orderSeeds.slice(1).forEach((orderSeed, j) => {
        opts.onRun?.(done++, total, `${what}, order ${orderSeed}`);
        otherOrders[j].push(...runOne(samples, split, setting, opts, positive, orderSeed, false).outcomes);
      });
    }
    const run = summarise(parts, setting, opts, labels, positive, grouping, extractS, calls);
    if (orderSeeds.length > 1) {
      const own = parts.flatMap((p) => p.outcomes);
      run.orders = orderSpread([own, ...otherOrders], orderSeeds, positive, opts.ci);
    }
    if (opts.analyse) {
      const trained = parts.map((p) => ({
        setting,
        splitName: p.split.name,
        model: p.model,
        train: p.split.train.map((i) => samples[i]),
        test: p.split.test.map((i) => samples[i]),
      }));
      Object.assign(run, opts.analyse(trained, positive));
    }
    runs.push(run);
    details.push({ testScores: parts.flatMap((p) => p.testScores), model: parts[parts.length - 1].model });
  }
  opts.onRun?.(total, total, 'done');
  return {
    runs,
    details,
    dataset: {
      samples: samples.length,
      unlabelled_skipped: unlabelled,
      labels: labels.map((label) => ({ label, count: labelCounts.get(label) ?? 0 })),
      duplicates_grouped: grouping.duplicatesGrouped,
      conflicting_groups: grouping.conflictingGroups,
      groups: grouping.groups.length,
    },
  };
}

/** Pools the test outcomes of every split (one split, or all k folds) into one result. */
function summarise(
  parts: SplitRun[],
  setting: EvalSetting,
  opts: EvalOptions,
  labels: string[],
  positive: string,
  grouping: Grouping,
  extractS: number,
  calls: number,
): EvalRun {
  const outcomes = parts.flatMap((p) => p.outcomes);
  const testScores = parts.flatMap((p) => p.testScores);
  const trainScores = parts.flatMap((p) => p.trainScores);
  const metrics = classificationMetrics(outcomes, labels, opts.ci);
  const rates = binaryRates(outcomes, positive, opts.ci);
  const roc = rocCurve(testScores);
  const [aucLo, aucHi] = aucInterval(roc.auc, roc.positives, roc.negatives);
  const nTrain = Math.round(parts.reduce((s, p) => s + p.split.train.length, 0) / parts.length);
  const run: EvalRun = {
    method: setting.method,
    ngram: setting.ngram,
    n_train: nTrain,
    n_test: outcomes.length,
    labels: metrics.confusion.labels,
    accuracy: metrics.accuracy.value,
    macro_f1: metrics.macroF1,
    positive,
    tpr: rates.tpr,
    fpr: rates.fpr,
    auc: roc.auc,
    per_label: Object.fromEntries(metrics.perLabel),
    timing: {
      extract_s: extractS,
      train_s: parts.reduce((s, p) => s + p.trainS, 0),
      classify_s: parts.reduce((s, p) => s + p.classifyS, 0),
      calls,
    },
    ci: opts.ci,
    confidence: 0.95,
    accuracy_interval: metrics.accuracy,
    auc_interval: { lo: aucLo, hi: aucHi },
    sample_weight: opts.sampleWeight ?? 'log_tf',
    global_weight: opts.globalWeight ?? 'bin',
    split: parts.length > 1 ? `${parts.length}-fold cross-validation` : parts[0].split.name,
    seed: opts.seed,
    duplicates_grouped: grouping.duplicatesGrouped,
    conflicting_groups: grouping.conflictingGroups,
    confusion: { labels: metrics.confusion.labels, matrix: metrics.confusion.matrix },
    roc: thinRoc(roc.points),
    calibration: calibrationReport(opts.calibration, trainScores, testScores, opts.ci),
  };
  if (opts.targetFpr !== undefined) {
    const chosen = thresholdForFpr(trainScores, opts.targetFpr);
    const onTest = ratesAtThreshold(testScores, chosen.threshold, opts.ci);
    run.target_fpr = {
      target: opts.targetFpr,
      threshold: chosen.threshold,
      train_fpr: chosen.fpr,
      ...onTest,
    };
    if (opts.prevalence !== undefined) {
      run.target_fpr.deployment = deploymentView(onTest.tpr, onTest.fpr, opts.prevalence, opts.volume ?? 1);
    }
  }
  if (opts.prevalence !== undefined) {
    run.deployment = deploymentView(rates.tpr, rates.fpr, opts.prevalence, opts.volume ?? 1);
  }
  if (opts.split.kind === 'time') {
    const timed = outcomes.filter((o): o is Outcome & { time: string } => o.time !== undefined);
    run.over_time = overTime(timed, positive, opts.split.period, opts.ci);
  }
  if (parts.length > 1) {
    run.folds = parts.map((p) => {
      return {
        name: p.split.name,
        n_train: p.split.train.length,
        n_test: p.split.test.length,
        accuracy: accuracyOf(p.outcomes, opts.ci),
      };
    });
  }
  return run;
}
