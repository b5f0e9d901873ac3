// `malgram cluster status --redis URL`: workers, backlog, model version of a scale-out cluster.
import type { Command } from 'commander';
import { formatSeconds, formatWindow } from '../../cluster/dedupe.js';
import { clusterKeys } from '../../cluster/keys.js';
import { connect, redisTarget } from '../../cluster/redis.js';
import { clusterStatus } from '../../cluster/status.js';
import { InputError } from '../../core/errors.js';
import { printJson } from '../io.js';

export function register(program: Command): void {
  const cluster = program.command('cluster').description('inspect a Redis scale-out cluster');
  cluster
    .command('status')
    .description(
      'workers (last heartbeat), backlog and pending entries per stream, model version, samples trained, trained ids held per dedupe bucket',
    )
    .option('--redis <url>', 'Redis URL: redis://127.0.0.1:6379, or redis+cluster://host:port,host:port')
    .option('--redis-cluster <nodes>', 'Redis Cluster seed nodes, host:port,host:port,...')
    .option('--cluster <name>', 'cluster name (the Redis key hash tag)', 'malgram')
    .option('--json', 'one JSON document on stdout')
    .action(async (flags: { redis?: string; redisCluster?: string; cluster: string; json?: boolean }) => {
      let keys: ReturnType<typeof clusterKeys>;
      try {
        keys = clusterKeys(flags.cluster);
      } catch (err) {
        throw new InputError((err as Error).message, '--cluster');
      }
      const target = redisTarget(flags);
      const redis = connect(target, undefined, { failFast: true });
      try {
        const s = await clusterStatus(redis, keys).catch((err: Error) => {
          throw new InputError(`cannot read the cluster: ${err.message}`, target);
        });
        if (flags.json) {
          printJson(s);
          return;
        }
        const out: string[] = [];
        out.push(
          `cluster ${s.cluster}: model version ${s.modelVersion}, ${s.samplesTrained} samples trained, ${s.mixRounds} mix rounds, ${s.classified} classified`,
        );
        const d = s.dedupe;
        if (d) {
          out.push(
            `trained ids held: ${d.ids}, dedupe window ${d.window}${d.bucketS > 0 ? ` (buckets of ${formatWindow(d.bucketS)})` : ''}:`,
          );
          for (const b of d.buckets)
            out.push(
              `  bucket ${new Date(b.start * 1000).toISOString()}\tids ${b.ids}\texpires in ${formatSeconds(b.expiresInS)}`,
            );
          if (d.unbucketedIds > 0)
            out.push(
              `  unbucketed set\tids ${d.unbucketedIds}\t${d.unbucketedExpiresInS === null ? 'never expires' : `expires in ${formatSeconds(d.unbucketedExpiresInS)}`}`,
            );
        }
        out.push(`workers (${s.workers.filter((w) => w.alive).length} alive):`);
        for (const w of s.workers)
          out.push(
            `  ${w.name}\t${w.alive ? 'alive' : 'gone'}\tseen ${w.lastSeenS}s ago\tversion ${w.version ?? '?'}\ttrained ${w.trained ?? 0}\tclassified ${w.classified ?? 0}\tevents ${w.events ?? 0}\talerts ${w.alerts ?? 0}`,
          );
        out.push('streams:');
        for (const st of s.streams)
          out.push(`  ${st.stream}\tlength ${st.length}\tpending ${st.pending ?? '-'}\tlag ${st.lag ?? '-'}`);
        if (s.partitions.length > 0) out.push('event partitions:');
        for (const p of s.partitions)
          out.push(`  p${p.partition}\towner ${p.owner ?? '-'}\talerts ${p.alerts}`);
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        redis.disconnect();
      }
    });
}
