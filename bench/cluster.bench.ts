// Scale-out on Redis (issue 9), against a real redis-server on a loopback port:
//   - samples/s end to end (submit of the 2,570 MalbehavD-V1 rows, classify + train + mix until
//     every sample is acknowledged) with 1 and 2 `malgram worker` processes; the ratio 2/1 is
//     the figure to compare (this machine has 2 shared cores);
//   - live events/s: `submit --events` alone (hash(host, pid) partitions) as the baseline, then
//     handled (detected, alerts written, acknowledged) by 1 and 2 workers;
//   BENCH_ONLY=samples,events,mix picks parts; BENCH_EVENTS and BENCH_MIX_FEATURES set sizes.
//   - one MIX round for a model of 1 million features × 2 labels: two published worker diffs,
//     gathered, folded, model v+1 built and committed; its duration per phase and its bytes,
//     with the fold alone as the in-run baseline.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { encodeContribution } from '../src/cluster/codec.js';
import { clusterKeys } from '../src/cluster/keys.js';
import { emptyDiff, mixDiffs } from '../src/cluster/mix.js';
import { runMixRound } from '../src/cluster/mixer.js';
import { tryLock } from '../src/cluster/redis.js';
import { configFromFlags } from '../src/features/config.js';
import { loadSamples } from '../src/ingest/source.js';
import { createModel } from '../src/learn/model.js';
import type { ModelDiff } from '../src/learn/model-api.js';
import { RedisServer } from '../test/cluster/redis-server.js';
import { cliNodeArgs } from '../test/helpers/cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const csv = fileURLToPath(new URL('../../shared/data/malbehavd-v1.csv', import.meta.url));
const keys = clusterKeys('malgram');
const FEATURES = Number(process.env.BENCH_MIX_FEATURES ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);

function cli(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cliNodeArgs(args), {
      cwd: root,
      stdio: 'ignore',
    });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

async function samplesPerSecond(workers: number): Promise<number> {
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  const children = Array.from({ length: workers }, (_, i) =>
    spawn(
      process.execPath,
      cliNodeArgs([
        'worker',
        '--redis',
        server.url,
        '--name',
        `w${i}`,
        '--no-events',
        '--mix-every',
        '512',
        '--mix-interval',
        '2',
        '--quiet',
      ]),
      { cwd: root, stdio: 'ignore' },
    ),
  );
  try {
    // Workers are up when they have a heartbeat.
    while ((await redis.hlen(keys.workers)) < workers) await new Promise((r) => setTimeout(r, 100));
    const started = process.hrtime.bigint();
    const code = await cli(['submit', '--redis', server.url, csv, '--format', 'csv', '--quiet']);
    if (code !== 0) throw new Error(`submit exited with ${code}`);
    while (Number(await redis.hget(keys.counters, 'trained')) < 2570 || (await redis.xlen(keys.reports)) > 0)
      await new Promise((r) => setTimeout(r, 50));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return 2570 / seconds;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    redis.disconnect();
    await server.stop();
  }
}

/**
 * Live events: submit alone (baseline), then handled by `workers` workers (partition leases,
 * detector over a model of 400 MalbehavD-V1 rows put in Redis as version 1) until every
 * partition stream is empty.
 */
async function eventsPerSecond(workers: number): Promise<{ submitted: number; handled: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'malgram-bench-events-'));
  const file = join(dir, 'events.jsonl');
  const apis = ['NtOpenKey', 'NtQueryValueKey', 'NtClose', 'NtCreateFile', 'NtWriteFile', 'LdrLoadDll'];
  const lines: string[] = [];
  for (let i = 0; i < EVENTS; i++)
    lines.push(
      JSON.stringify({
        host: `h${i % 7}`,
        pid: 1000 + (i % 311),
        api: apis[i % apis.length],
        ts: 1732600000 + i / 1000,
      }),
    );
  writeFileSync(file, `${lines.join('\n')}\n`);
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  const children: ChildProcess[] = [];
  try {
    const samples = await loadSamples({ data: [csv], format: 'csv' });
    const model = createModel(JSON.stringify(configFromFlags({})));
    for (const t of [...samples.slice(0, 200), ...samples.slice(-200)]) model.train(t, t.label as string);
    await redis.set(keys.config, model.configJson);
    await redis.set(keys.model(1), Buffer.from(model.toBytes()));
    await redis.set(keys.current, '1');
    for (let i = 0; i < workers; i++)
      children.push(
        spawn(
          process.execPath,
          cliNodeArgs(['worker', '--redis', server.url, '--name', `e${i}`, '--quiet']),
          {
            cwd: root,
            stdio: 'ignore',
          },
        ),
      );
    const ready = async () => {
      const hb = Object.values(await redis.hgetall(keys.workers)).map(
        (v) => JSON.parse(v) as { eventsVersion?: number; partitions?: number },
      );
      return (
        hb.length === workers &&
        hb.every((h) => h.eventsVersion === 1) &&
        hb.reduce((n, h) => n + (h.partitions ?? 0), 0) === 8
      );
    };
    while (!(await ready())) await new Promise((r) => setTimeout(r, 100));
    const started = process.hrtime.bigint();
    const code = await cli([
      'submit',
      '--redis',
      server.url,
      '--events',
      file,
      '--max-backlog',
      String(EVENTS),
      '--quiet',
    ]);
    if (code !== 0) throw new Error(`submit --events exited with ${code}`);
    const submitSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const left = async () => {
      let n = 0;
      for (let p = 0; p < 8; p++) n += await redis.xlen(keys.events(p));
      return n;
    };
    while ((await left()) > 0) await new Promise((r) => setTimeout(r, 50));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { submitted: EVENTS / submitSeconds, handled: EVENTS / seconds };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A worker diff touching `n` features × 2 labels, as AROW leaves them (weight delta, covariance delta). */
function syntheticDiff(n: number, seed: number): ModelDiff {
  const d = emptyDiff(0);
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const f = `api_call$NtApi${i % 997}_NtApi${(i * 7) % 991}_Nt${i}@space#log_tf/bin`;
    d.weights.set(
      f,
      new Map([
        ['0', [next() - 0.5, 0.2 + 0.8 * next(), 0]],
        ['1', [next() - 0.5, 0.2 + 0.8 * next(), 0]],
      ]),
    );
  }
  d.labelCounts.set('0', 1000);
  d.labelCounts.set('1', 1000);
  d.updates = 2000;
  return d;
}

async function mixRound(): Promise<void> {
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  try {
    const configJson = JSON.stringify(configFromFlags({}));
    const diffs = [syntheticDiff(FEATURES, 1), syntheticDiff(FEATURES, 2)];
    let t = process.hrtime.bigint();
    mixDiffs(diffs);
    const foldMs = Number(process.hrtime.bigint() - t) / 1e6;
    let contributionBytes = 0;
    t = process.hrtime.bigint();
    for (const [i, diff] of diffs.entries()) {
      const bytes = encodeContribution({ worker: `w${i}`, diff, entries: [], analyses: [] });
      contributionBytes += bytes.byteLength;
      await redis.hset(keys.diffs(0), `w${i}`, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      await redis.hset(keys.workers, `w${i}`, JSON.stringify({ ts: Date.now(), version: 0 }));
    }
    const publishMs = Number(process.hrtime.bigint() - t) / 1e6;
    const token = await tryLock(redis, keys.mixLock, 600_000);
    if (!token) throw new Error('lock');
    t = process.hrtime.bigint();
    const report = await runMixRound(
      redis,
      keys,
      'workers',
      0,
      token,
      configJson,
      { weighting: 'count', gatherMs: 5000, heartbeatTtlMs: 600_000 },
      () => {},
    );
    const roundMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (!report.committed) throw new Error('mix round did not commit');
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(`mix round, ${FEATURES.toLocaleString('en')} features × 2 labels, 2 workers:`);
    console.log(
      `  publish 2 diffs      ${publishMs.toFixed(0)} ms, ${mb(contributionBytes)} (encode + HSET)`,
    );
    console.log(
      `  round total          ${roundMs.toFixed(0)} ms  (gather ${report.gatherMs} + read/fold/build ${report.buildMs} + commit ${report.commitMs})`,
    );
    console.log(
      `  fold alone (baseline) ${foldMs.toFixed(0)} ms; round / fold = ${(roundMs / foldMs).toFixed(1)}×`,
    );
    console.log(`  bytes: model v1 ${mb(report.modelBytes)}, mixed diff ${mb(report.mixedBytes)}`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

if ((process.env.BENCH_ONLY ?? 'samples').split(',').includes('samples')) {
  const one = await samplesPerSecond(1);
  const two = await samplesPerSecond(2);
  console.log('samples/s end to end (2,570 MalbehavD-V1 rows: submit, classify, train, mix, ack):');
  console.log(`  1 worker  ${one.toFixed(0)} samples/s`);
  console.log(`  2 workers ${two.toFixed(0)} samples/s  (×${(two / one).toFixed(2)} of 1 worker)`);
}
const parts = new Set((process.env.BENCH_ONLY ?? 'samples,events,mix').split(','));
if (parts.has('events')) {
  console.log(`live events (${EVENTS.toLocaleString('en')} events of 311 processes, 8 partitions):`);
  const e1 = await eventsPerSecond(1);
  const e2 = await eventsPerSecond(2);
  console.log(`  submit --events alone (baseline) ${e1.submitted.toFixed(0)} events/s`);
  console.log(
    `  handled, 1 worker  ${e1.handled.toFixed(0)} events/s (submit to last alert written and acked)`,
  );
  console.log(
    `  handled, 2 workers ${e2.handled.toFixed(0)} events/s  (×${(e2.handled / e1.handled).toFixed(2)} of 1 worker)`,
  );
}
if (parts.has('mix')) await mixRound();
