// `malgram worker --redis URL`: a scale-out worker (src/cluster/worker.ts) until SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clusterKeys } from '../../cluster/keys.js';
import { connect } from '../../cluster/redis.js';
import {
  DEFAULT_WORKER_OPTIONS,
  defaultWorkerName,
  type WorkerOptions,
} from '../../cluster/worker-options.js';
import { InputError } from '../../core/errors.js';
import { configFromFlags, parseConfig } from '../../features/config.js';
import { log } from '../io.js';

interface WorkerFlags {
  redis: string;
  cluster: string;
  group: string;
  name?: string;
  config?: string;
  method?: string;
  ngram?: string;
  sampleWeight?: string;
  globalWeight?: string;
  regularization?: string;
  mixEvery: string;
  mixInterval: string;
  mixWeighting: string;
  claimTimeout: string;
  lockTimeout: string;
  quiet?: boolean;
}

function positive(value: string, flag: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new InputError(`must be a ${integer ? 'whole ' : ''}number > 0, got "${value}"`, flag);
  return n;
}

function configJson(flags: WorkerFlags): string {
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (err) {
      throw new InputError(
        `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        flags.config,
      );
    }
    return JSON.stringify(parseConfig(text, flags.config));
  }
  return JSON.stringify(
    configFromFlags({
      method: flags.method,
      ngram: flags.ngram,
      sampleWeight: flags.sampleWeight,
      globalWeight: flags.globalWeight,
      regularization: flags.regularization === undefined ? undefined : Number(flags.regularization),
    }),
  );
}

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'join a Redis scale-out cluster: classify and train samples from the reports stream, mix models with the other workers',
    )
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--cluster <name>', 'cluster name (the Redis key hash tag)', 'malgram')
    .option('--group <name>', 'consumer group', DEFAULT_WORKER_OPTIONS.group)
    .option('--name <name>', 'worker (consumer) name, unique in the cluster (default: host-pid)')
    .option('--config <file>', 'Jubatus classifier config JSON (used when the cluster has no config yet)')
    .option('--method <m>', 'algorithm when no --config (default AROW)')
    .option('--ngram <n>', 'API-call n-gram length or range when no --config (default 3)')
    .option('--sample-weight <w>', 'bin | tf | log_tf when no --config (default log_tf)')
    .option('--global-weight <w>', 'bin | idf | idf1 | bm25 when no --config (default bin)')
    .option('--regularization <c>', 'regularization weight C when no --config (default 1)')
    .option('--mix-every <n>', 'mix after this many trained samples', String(DEFAULT_WORKER_OPTIONS.mixEvery))
    .option(
      '--mix-interval <s>',
      'mix after this many seconds with something trained',
      String(DEFAULT_WORKER_OPTIONS.mixIntervalMs / 1000),
    )
    .option(
      '--mix-weighting <w>',
      'count (Jubatus: plain mean of the diffs) | updates (weighted by trained samples)',
      'count',
    )
    .option(
      '--claim-timeout <s>',
      "claim another worker's entries pending longer than this",
      String(DEFAULT_WORKER_OPTIONS.claimIdleMs / 1000),
    )
    .option(
      '--lock-timeout <s>',
      'the mix lock expires after this long, so a dead mixer is replaced (longer than a mix round)',
      String(DEFAULT_WORKER_OPTIONS.lockTtlMs / 1000),
    )
    .option('--quiet', 'no log lines')
    .action(async (flags: WorkerFlags) => {
      if (flags.mixWeighting !== 'count' && flags.mixWeighting !== 'updates')
        throw new InputError(`must be count or updates, got "${flags.mixWeighting}"`, '--mix-weighting');
      const name = flags.name ?? defaultWorkerName();
      const keys = (() => {
        try {
          return clusterKeys(flags.cluster);
        } catch (err) {
          throw new InputError((err as Error).message, '--cluster');
        }
      })();
      const say = (m: string) => log(m, flags.quiet);
      // Every flag is checked before anything connects.
      const options: WorkerOptions = {
        ...DEFAULT_WORKER_OPTIONS,
        name,
        group: flags.group,
        configJson: configJson(flags),
        weighting: flags.mixWeighting,
        mixEvery: positive(flags.mixEvery, '--mix-every', true),
        mixIntervalMs: positive(flags.mixInterval, '--mix-interval', false) * 1000,
        claimIdleMs: positive(flags.claimTimeout, '--claim-timeout', false) * 1000,
        lockTtlMs: positive(flags.lockTimeout, '--lock-timeout', false) * 1000,
        log: say,
      };
      let lastError = '';
      const redis = connect(flags.redis, (err) => {
        if (err.message !== lastError) say(`worker ${name}: redis: ${err.message}`);
        lastError = err.message;
      });
      redis.on('ready', () => {
        if (lastError) say(`worker ${name}: redis connection back`);
        lastError = '';
      });
      // Loaded here, not at start-up: the model code is only needed when a worker runs.
      const { Worker } = await import('../../cluster/worker.js');
      const worker = new Worker(redis, keys, options);
      // First signal: finish the step and mix what was trained (bounded by the lock timeout, in
      // case Redis is gone); second signal: leave at once (the entries are claimed by others).
      const stop = () => {
        worker.stop();
        setTimeout(() => process.exit(2), options.lockTtlMs + options.gatherMs).unref();
        process.once('SIGTERM', () => process.exit(2));
        process.once('SIGINT', () => process.exit(2));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await worker.start();
        say(`worker ${name}: joined cluster ${keys.name} at model version ${worker.version}`);
        await worker.run();
        say(`worker ${name}: stopped (${JSON.stringify(worker.stats)})`);
      } finally {
        redis.disconnect();
      }
    });
}
