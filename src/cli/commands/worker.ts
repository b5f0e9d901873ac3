// `malgram worker --redis URL`: a scale-out worker (src/cluster/worker.ts) until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { formatWindow, parseDedupeWindow } from '../../cluster/dedupe.js';
import { clusterKeys } from '../../cluster/keys.js';
import type { LiveEventsOptions } from '../../cluster/live-events.js';
import { connect, redisTarget } from '../../cluster/redis.js';
import {
  DEFAULT_LIVE_OPTIONS,
  DEFAULT_WORKER_OPTIONS,
  defaultWorkerName,
  type WorkerOptions,
} from '../../cluster/worker-options.js';
import { InputError } from '../../core/errors.js';
import { configFromFlags, readConfigFile } from '../../features/config.js';
import { log } from '../io.js';

interface WorkerFlags {
  redis?: string;
  redisCluster?: string;
  events: boolean;
  rules?: string[];
  leaseTimeout: string;
  threshold: string;
  suspiciousThreshold?: string;
  maxProcesses: string;
  maxNgramsPerProcess: string;
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
  dedupeWindow: string;
  quiet?: boolean;
}

function positive(value: string, flag: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new InputError(`must be a ${integer ? 'whole ' : ''}number > 0, got "${value}"`, flag);
  return n;
}

function configJson(flags: WorkerFlags): string {
  if (flags.config) return JSON.stringify(readConfigFile(flags.config));
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

function finite(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InputError(`must be a number, got "${value}"`, flag);
  return n;
}

async function liveOptions(
  flags: WorkerFlags,
  name: string,
  log: (message: string) => void,
): Promise<LiveEventsOptions> {
  let rules: LiveEventsOptions['rules'];
  if (flags.rules) {
    const { loadStreamingRules } = await import('../../detect/rules-adapter.js');
    rules = loadStreamingRules(flags.rules).rules;
  }
  return {
    ...DEFAULT_LIVE_OPTIONS,
    name,
    group: flags.group,
    leaseTtlMs: positive(flags.leaseTimeout, '--lease-timeout', false) * 1000,
    threshold: finite(flags.threshold, '--threshold'),
    suspiciousThreshold:
      flags.suspiciousThreshold === undefined
        ? undefined
        : finite(flags.suspiciousThreshold, '--suspicious-threshold'),
    maxProcesses: positive(flags.maxProcesses, '--max-processes', true),
    maxNgramsPerProcess: positive(flags.maxNgramsPerProcess, '--max-ngrams-per-process', true),
    rules,
    log,
  };
}

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'join a Redis scale-out cluster: classify and train samples from the reports stream, mix models with the other workers',
    )
    .option('--redis <url>', 'Redis URL: redis://127.0.0.1:6379, or redis+cluster://host:port,host:port')
    .option('--redis-cluster <nodes>', 'Redis Cluster seed nodes, host:port,host:port,...')
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
    .option(
      '--dedupe-window <d>',
      'a labelled sample redelivered within this long after its training is not trained again; later it is (7d, 12h, 90s...; 0 or forever: remember every id, unbounded). Fixed by the first worker of the cluster',
      formatWindow(DEFAULT_WORKER_OPTIONS.dedupeWindowS),
    )
    .option('--no-events', 'do not consume live events (samples only)')
    .option('--rules <paths...>', 'live events: rule files or folders (YAML), with the model')
    .option(
      '--lease-timeout <s>',
      "live events: a partition's lease expires after this long without renewal (then another worker takes it)",
      String(DEFAULT_LIVE_OPTIONS.leaseTtlMs / 1000),
    )
    .option('--threshold <margin>', 'live events: alert (malicious) above this model margin', '0')
    .option('--suspicious-threshold <margin>', 'live events: also alert (suspicious) above this lower margin')
    .option(
      '--max-processes <n>',
      'live events: most processes tracked per partition',
      String(DEFAULT_LIVE_OPTIONS.maxProcesses),
    )
    .option(
      '--max-ngrams-per-process <n>',
      'live events: most distinct n-grams per process',
      String(DEFAULT_LIVE_OPTIONS.maxNgramsPerProcess),
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
        dedupeWindowS: parseDedupeWindow(flags.dedupeWindow),
        log: say,
      };
      const target = redisTarget(flags);
      const live = flags.events ? await liveOptions(flags, name, say) : undefined;
      let lastError = '';
      const redis = connect(target, (err) => {
        if (err.message !== lastError) say(`worker ${name}: redis: ${err.message}`);
        lastError = err.message;
      });
      redis.on('ready', () => {
        if (lastError) say(`worker ${name}: redis connection back`);
        lastError = '';
      });
      // Live events use a connection of their own: the samples loop blocks on its reads.
      const eventsRedis = live ? connect(target, () => {}) : undefined;
      // Loaded here, not at start-up: the model code is only needed when a worker runs.
      const { Worker } = await import('../../cluster/worker.js');
      const { LiveEvents } = await import('../../cluster/live-events.js');
      const worker = new Worker(redis, keys, options);
      const events = live && eventsRedis ? new LiveEvents(eventsRedis, keys, live) : undefined;
      if (events) worker.heartbeatExtra = () => ({ ...events.stats });
      // First signal: finish the step and mix what was trained (bounded by the lock timeout, in
      // case Redis is gone); second signal: leave at once (the entries are claimed by others).
      const stop = () => {
        worker.stop();
        events?.stop();
        setTimeout(() => process.exit(2), options.lockTtlMs + options.gatherMs).unref();
        process.once('SIGTERM', () => process.exit(2));
        process.once('SIGINT', () => process.exit(2));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await worker.start();
        await events?.start();
        say(`worker ${name}: joined cluster ${keys.name} at model version ${worker.version}`);
        await Promise.all([
          worker.run().finally(() => events?.stop()),
          events?.run().finally(() => worker.stop()),
        ]);
        say(`worker ${name}: stopped (${JSON.stringify({ ...worker.stats, events: events?.stats })})`);
      } finally {
        redis.disconnect();
        eventsRedis?.disconnect();
      }
    });
}
