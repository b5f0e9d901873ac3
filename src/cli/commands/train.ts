// `malgram train`: train (or continue training) a model file on labelled samples.
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { InputError } from '../../core/errors.js';
import type { Trace } from '../../core/trace.js';
import { trainingAlertThreshold } from '../../detect/early.js';
import { defaultPositive } from '../../detect/policy.js';
import { type ClassifierConfig, configFromFlags, readConfigFile } from '../../features/config.js';
import { loadSamples } from '../../ingest/source.js';
import { DEFAULT_DB } from '../../ingest/store.js';
import { isJubatusPath } from '../../learn/jubatus-file.js';
import { createModel, loadModel, type OnlineModel } from '../../learn/model.js';
import type { AlertThreshold } from '../../learn/model-api.js';
import { TRAIN_ORDERS, type TrainOrder, trainOnTraces } from '../../learn/training.js';
import { log, printJson, progressBar } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface TrainFlags extends SourceFlags {
  config?: string;
  method?: string;
  ngram?: string;
  sampleWeight?: string;
  globalWeight?: string;
  regularization?: string;
  repeated?: string;
  categories?: boolean;
  args?: boolean;
  model: string;
  order: TrainOrder;
  seed: string;
  passes: string;
  maxFeatures?: string;
  hashBits?: string;
  alertFpr: string;
  json?: boolean;
  quiet?: boolean;
}

function int(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(`must be an integer in ${min}..${max}`, flag);
  return n;
}

function configFlagsGiven(flags: TrainFlags): boolean {
  return [
    flags.method,
    flags.ngram,
    flags.sampleWeight,
    flags.globalWeight,
    flags.regularization,
    flags.repeated,
  ].some((v) => v !== undefined);
}

function configOf(flags: TrainFlags): ClassifierConfig {
  const flagged = configFlagsGiven(flags);
  let config: ClassifierConfig;
  if (flags.config !== undefined) {
    if (flagged)
      throw new InputError('give either --config or --method/--ngram/--sample-weight/--global-weight');
    config = readConfigFile(flags.config);
  } else {
    config = configFromFlags({
      method: flags.method,
      ngram: flags.ngram,
      sampleWeight: flags.sampleWeight,
      globalWeight: flags.globalWeight,
      regularization: flags.regularization === undefined ? undefined : Number(flags.regularization),
      repeated: flags.repeated,
      categories: flags.categories,
      args: flags.args,
    });
  }
  if (flags.hashBits !== undefined) {
    config.converter.hash_max_size = 2 ** int(flags.hashBits, '--hash-bits', 1, 30);
  }
  return config;
}

function openModel(flags: TrainFlags): { model: OnlineModel; continued: boolean } {
  const maxFeatures =
    flags.maxFeatures === undefined ? undefined : int(flags.maxFeatures, '--max-features', 1);
  if (existsSync(flags.model)) {
    if (flags.config !== undefined || configFlagsGiven(flags) || flags.hashBits !== undefined) {
      throw new InputError(
        'the model file exists and keeps its own config: drop the config flags or use a new --model path',
        flags.model,
      );
    }
    const model = loadModel(flags.model);
    if (maxFeatures !== undefined) model.options.maxFeatures = maxFeatures;
    return { model, continued: true };
  }
  return { model: createModel(configOf(flags), { maxFeatures }), continued: false };
}

/**
 * The threshold `watch` uses by default (src/detect/early.ts): chosen on this run's benign
 * training traces. None for models `watch` cannot score (no native n-gram rule) or without a
 * benign label.
 */
function alertThresholdFor(
  model: OnlineModel,
  traces: readonly Trace[],
  targetFpr: number,
  quiet?: boolean,
): AlertThreshold | undefined {
  const labels = model.labels();
  if (labels.length < 2) return undefined;
  let chosen: AlertThreshold | undefined;
  try {
    chosen = trainingAlertThreshold(model, traces, defaultPositive(labels), targetFpr);
  } catch (err) {
    if (err instanceof InputError) return undefined; // a model watch cannot score
    throw err;
  }
  if (chosen) {
    log(
      `watch alert threshold: margin ${chosen.margin.toPrecision(6)} for label ${chosen.positive} (at most ${(100 * targetFpr).toFixed(2)}% of ${chosen.negatives} benign training traces alert; on unseen traces the rate is usually higher: check with eval --early)`,
      quiet,
    );
  }
  return chosen;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train (or continue training) an online classifier on labelled samples')
    .requiredOption('--model <file>', 'model file to create, or to continue training when it exists')
    .option('--config <file>', 'a Jubatus classifier config (JSON), used unchanged')
    .option('--method <method>', 'perceptron, PA, PA1, PA2, CW, AROW, NHERD or logreg (default AROW)')
    .option('--ngram <n>', 'API n-gram size 1-8 or a range like 3-5 (default 3)')
    .option('--sample-weight <w>', 'bin, tf or log_tf (default log_tf)')
    .option('--global-weight <w>', 'bin, idf, idf1 or bm25 (default bin)')
    .option('--regularization <c>', 'regularization_weight C (default 1)')
    .addOption(
      new Option('--repeated <policy>', 'repeated call records: keep, collapse or expand').choices([
        'keep',
        'collapse',
        'expand',
      ]),
    )
    .option('--categories', 'add API-category n-grams')
    .option('--args', 'add argument-derived tokens (registry keys, file paths, user parts normalised)')
    .addOption(new Option('--order <order>', 'training order').choices([...TRAIN_ORDERS]).default('shuffle'))
    .option('--seed <s>', 'seed of the shuffle', '1')
    .option('--passes <k>', 'passes over the data', '1')
    .option('--max-features <n>', 'keep at most N features (pruned in batches by |weight| and frequency)')
    .option('--hash-bits <b>', 'hashed feature space of 2^B features (Jubatus hash_max_size)')
    .option(
      '--alert-fpr <rate>',
      "also choose watch's alert threshold: at most this share of the benign training traces would alert at any point (0: none of them; stored in the model)",
      '0.01',
    )
    .option('--json', 'machine-readable output')
    .option('--quiet', 'no progress or logs');
  addSourceOptions(cmd).action(async (flags: TrainFlags) => {
    const seed = int(flags.seed, '--seed', 0, 2 ** 32 - 1);
    const passes = int(flags.passes, '--passes', 1, 1000);
    const alertFpr = Number(flags.alertFpr);
    if (!(alertFpr >= 0 && alertFpr < 1)) throw new InputError('must be a rate in [0, 1)', '--alert-fpr');
    const { model, continued } = openModel(flags);
    const src = sourceFromOptions(flags, [], {
      detail: model.native?.args ? 'full' : 'api',
      defaultDb: DEFAULT_DB,
    });
    const traces: Trace[] = await loadSamples(src);
    const bar = progressBar('train', traces.length * passes, flags.quiet, 'samples');
    const started = Date.now();
    const result = trainOnTraces(model, traces, {
      order: flags.order,
      seed,
      passes,
      onSample: () => bar.tick(),
    });
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    if (result.sortedInput && flags.order === 'file') {
      log(
        'malgram: warning: the input is sorted by label and --order file keeps that order; an online model ends biased towards the last label (use --order shuffle or interleave)',
        flags.quiet,
      );
    } else if (result.sortedInput) {
      log(`malgram: note: the input is sorted by label; trained in ${flags.order} order`, flags.quiet);
    }
    if (result.unlabelled > 0)
      log(`malgram: skipped ${result.unlabelled} samples without a label`, flags.quiet);
    if (result.trained === 0) throw new InputError('no labelled samples to train on');
    // a .jubatus file has no room for it
    if (!isJubatusPath(flags.model))
      model.alertThreshold = alertThresholdFor(model, traces, alertFpr, flags.quiet);
    model.save(flags.model);
    const summary = {
      model: flags.model,
      continued,
      method: model.method,
      trained: result.trained,
      unlabelled: result.unlabelled,
      passes,
      order: flags.order,
      seed,
      sorted_input: result.sortedInput,
      labels: Object.fromEntries(model.labelCounts()),
      samples_total: model.sampleCount(),
      features: model.numFeatures(),
      pruned_features: model.prunedFeatures,
      alert_threshold: model.alertThreshold ?? null,
      train_s: seconds,
    };
    if (flags.json) printJson(summary);
    else {
      log(
        `trained ${result.trained} samples (${passes} pass${passes > 1 ? 'es' : ''}, ${flags.order} order) in ${seconds.toFixed(2)} s: ${model.method}, ${model.numFeatures()} features${model.prunedFeatures > 0 ? `, ${model.prunedFeatures} pruned` : ''}; model written to ${flags.model}`,
        flags.quiet,
      );
    }
  });
}
