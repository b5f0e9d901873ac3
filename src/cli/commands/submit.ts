// `malgram submit --redis URL PATH...`: samples (or live events) into the cluster's streams.
import type { Command } from 'commander';
import { clusterKeys } from '../../cluster/keys.js';
import { connect, redisTarget } from '../../cluster/redis.js';
import { readEventFiles, submitEvents, submitTraces } from '../../cluster/submit.js';
import { InputError } from '../../core/errors.js';
import { openSamples } from '../../ingest/source.js';
import { log, printJson, progressBar } from '../io.js';

interface SubmitFlags {
  redis?: string;
  redisCluster?: string;
  cluster: string;
  format: string;
  events?: boolean;
  train: boolean;
  maxBacklog: string;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'push samples (reports, CSV, JSONL) or live events into a Redis scale-out cluster, with back-pressure',
    )
    .argument('<paths...>', 'files or folders (with --events: event files, - for stdin)')
    .option('--redis <url>', 'Redis URL: redis://127.0.0.1:6379, or redis+cluster://host:port,host:port')
    .option('--redis-cluster <nodes>', 'Redis Cluster seed nodes, host:port,host:port,...')
    .option('--cluster <name>', 'cluster name (the Redis key hash tag)', 'malgram')
    .option('--format <f>', 'input format of samples (auto detects)', 'auto')
    .option(
      '--events',
      'the inputs are live events (one API call per JSON line), partitioned by host and pid',
    )
    .option('--no-train', 'drop labels: classify only')
    .option('--max-backlog <n>', 'wait while a stream holds this many unacknowledged entries', '10000')
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress or log lines')
    .action(async (paths: string[], flags: SubmitFlags) => {
      const maxBacklog = Number(flags.maxBacklog);
      if (!Number.isInteger(maxBacklog) || maxBacklog <= 0)
        throw new InputError(`must be a whole number > 0, got "${flags.maxBacklog}"`, '--max-backlog');
      let keys: ReturnType<typeof clusterKeys>;
      try {
        keys = clusterKeys(flags.cluster);
      } catch (err) {
        throw new InputError((err as Error).message, '--cluster');
      }
      const redis = connect(redisTarget(flags), (err) => log(`submit: redis: ${err.message}`, flags.quiet));
      const bar = progressBar('submit', 0, flags.quiet, flags.events ? 'events' : 'samples');
      let skipped = 0;
      try {
        const opts = {
          maxBacklog,
          batch: 100,
          noTrain: !flags.train,
          onSubmitted: (n: number) => bar.tick(n),
        };
        const report = flags.events
          ? await submitEvents(
              redis,
              keys,
              readEventFiles(paths, (where, reason) => {
                skipped++;
                log(`malgram: skipped ${where}: ${reason}`, flags.quiet);
              }),
              opts,
            )
          : await submitTraces(
              redis,
              keys,
              openSamples({
                data: paths,
                format: flags.format,
                onIssue: (issue) => {
                  skipped++;
                  log(`malgram: skipped ${issue.where}: ${issue.reason}`, flags.quiet);
                },
              }),
              opts,
            );
        bar.stop();
        const summary = {
          submitted: report.submitted,
          skipped,
          waited_s: report.waitedMs / 1000,
          stream: flags.events ? 'events' : keys.reports,
        };
        if (flags.json) printJson(summary);
        else
          log(
            `submitted ${report.submitted} ${flags.events ? 'events' : 'samples'}, skipped ${skipped}`,
            flags.quiet,
          );
      } finally {
        bar.stop();
        redis.disconnect();
      }
    });
}
