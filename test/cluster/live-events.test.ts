// Live events in the scale-out cluster: a real redis-server, real `malgram worker` processes
// (partition leases, one consumer group per partition, the detector of src/detect/ over the
// mixed model), `malgram submit --events` of processes replayed from MalbehavD-V1 rows. The
// alerts must be exactly those of one detector fed every event in order: a process whose events
// were split between workers, or reordered, would alert at another call count or not at all.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { clusterKeys, eventPartition } from '../../src/cluster/keys.js';
import { LiveEvents } from '../../src/cluster/live-events.js';
import { DEFAULT_LIVE_OPTIONS } from '../../src/cluster/worker-options.js';
import type { Trace } from '../../src/core/trace.js';
import type { Alert } from '../../src/detect/alerts.js';
import { Detector } from '../../src/detect/detector.js';
import { formatEvent } from '../../src/detect/events.js';
import { featureSpecOf } from '../../src/detect/feature-spec.js';
import { defaultPositive } from '../../src/detect/policy.js';
import { configFromFlags } from '../../src/features/config.js';
import { loadSamples } from '../../src/ingest/source.js';
import { createModel, modelFromBytes } from '../../src/learn/model.js';
import type { Model } from '../../src/learn/model-api.js';
import { malbehavdCsv, runCli } from '../helpers/cli.js';
import { RedisServer } from './redis-server.js';
import { WorkerProcs } from './worker-procs.js';

const keys = clusterKeys('malgram');
const PARTITIONS = 8;
const procs = new WorkerProcs();
let work: string;
let samples: Trace[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'malgram-live-test-'));
  samples = await loadSamples({ data: [malbehavdCsv], format: 'csv' });
});

after(() => {
  procs.killAll();
  rmSync(work, { recursive: true, force: true });
});

function client(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(50 * n, 500) });
  r.on('error', () => {});
  return r;
}

/** The process events of sample rows `rows`, pid = 1000 + k, interleaved call by call. */
function replayEvents(rows: number[], firstPid: number): string[] {
  const apis = rows.map((i) => samples[i].processes.flatMap((p) => p.calls.map((c) => c.api)));
  const lines: string[] = [];
  for (let step = 0; apis.some((a) => step < a.length); step++) {
    apis.forEach((a, k) => {
      if (step < a.length)
        lines.push(formatEvent({ kind: 'call', host: `h${k % 3}`, pid: firstPid + k, api: a[step] }));
    });
  }
  return lines;
}

/** The reference: one detector over the mixed model, fed every event in order. */
function referenceDetector(model: Model, alerts: Alert[]): Detector {
  const info = featureSpecOf(model);
  return new Detector(
    { model, spec: info.spec },
    {
      limits: {
        maxProcesses: DEFAULT_LIVE_OPTIONS.maxProcesses,
        maxNgramsPerUnit: DEFAULT_LIVE_OPTIONS.maxNgramsPerProcess,
        tree: false,
      },
      policy: { positive: defaultPositive(model.labels()), threshold: 0 },
      collapseRepeats: info.collapseRepeats,
    },
    (a) => alerts.push(a),
  );
}

function expectedAlerts(detector: Detector, lines: string[], sink: Alert[]): Map<string, string[]> {
  sink.length = 0;
  for (const line of lines) {
    const e = JSON.parse(line) as { host: string; pid: number; api: string };
    detector.handle({ kind: 'call', host: e.host, pid: e.pid, api: e.api });
  }
  return byProcess(sink.map((a) => ({ alert: a, worker: '' })));
}

function byProcess(alerts: Array<{ alert: Alert; worker: string }>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const { alert: a } of alerts) {
    const key = `${a.host}/${a.pid}`;
    m.set(key, [...(m.get(key) ?? []), `${a.verdict}@${a.calls}:${a.score}`]);
  }
  return m;
}

async function clusterAlerts(
  redis: Redis,
): Promise<Array<{ alert: Alert; worker: string; partition: number }>> {
  const out: Array<{ alert: Alert; worker: string; partition: number }> = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (const [, flat] of await redis.xrange(keys.alerts(p), '-', '+')) {
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i], flat[i + 1]);
      out.push({ alert: JSON.parse(f.get('alert') ?? '{}'), worker: f.get('worker') ?? '', partition: p });
    }
  }
  return out;
}

async function eventsLeft(redis: Redis): Promise<number> {
  let n = 0;
  for (let p = 0; p < PARTITIONS; p++) n += await redis.xlen(keys.events(p));
  return n;
}

async function leaseOwners(redis: Redis): Promise<Array<string | null>> {
  const owners: Array<string | null> = [];
  for (let p = 0; p < PARTITIONS; p++) owners.push(await redis.get(keys.eventLease(p)));
  return owners;
}

test('workers detect on live events: each process on one worker, in order; a killed worker’s partitions are taken over', async () => {
  const server = await RedisServer.start();
  const redis = client(server.url);
  try {
    // Train a model on 400 rows (both classes) through the cluster.
    const lines = readFileSync(malbehavdCsv, 'utf8').split('\n');
    const benign = samples.flatMap((s, i) => (s.label === '0' ? [i] : []));
    const malware = samples.flatMap((s, i) => (s.label === '1' ? [i] : []));
    const trainRows = [...benign.slice(0, 200), ...malware.slice(0, 200)];
    const trainFile = join(work, 'train.csv');
    writeFileSync(trainFile, `${[lines[0], ...trainRows.map((i) => lines[i + 1])].join('\n')}\n`);
    const flags = ['--mix-every', '100', '--mix-interval', '1', '--lease-timeout', '2'];
    const ws = ['e1', 'e2', 'e3'].map((n) => procs.start(server.url, n, flags));
    const sub = await runCli(['submit', '--redis', server.url, trainFile, '--format', 'csv']);
    assert.equal(sub.code, 0, sub.stderr);
    await procs.until(
      '400 samples trained',
      120_000,
      async () => Number(await redis.hget(keys.counters, 'trained')) === 400,
    );
    const version = Number(await redis.get(keys.current));
    await procs.until('every worker detecting with the last version, partitions spread', 30_000, async () => {
      const hb = Object.values(await redis.hgetall(keys.workers)).map(
        (v) => JSON.parse(v) as { version: number; eventsVersion?: number; partitions?: number },
      );
      return (
        hb.length === 3 &&
        hb.every((h) => h.version === version && h.eventsVersion === version && (h.partitions ?? 0) >= 2) &&
        hb.reduce((n, h) => n + (h.partitions ?? 0), 0) === PARTITIONS
      );
    });
    const bytes = await redis.getBuffer(keys.model(version));
    assert.ok(bytes);
    const reference: Alert[] = [];
    const detector = referenceDetector(modelFromBytes(bytes, 'mixed'), reference);

    // Phase 1: 60 processes (30 benign rows, 30 malware rows not trained on), 3 workers.
    const phase1 = replayEvents([...benign.slice(200, 230), ...malware.slice(200, 230)], 1000);
    const file1 = join(work, 'events1.jsonl');
    writeFileSync(file1, `${phase1.join('\n')}\n`);
    const s1 = await runCli(['submit', '--redis', server.url, '--events', file1, '--json']);
    assert.equal(s1.code, 0, s1.stderr);
    assert.equal(JSON.parse(s1.stdout).submitted, phase1.length);
    await procs.until('phase 1 events consumed', 60_000, async () => (await eventsLeft(redis)) === 0);
    const expected1 = expectedAlerts(detector, phase1, reference);
    assert.ok(expected1.size >= 10, `the reference detector alerts on ${expected1.size} processes`);
    const got1 = await clusterAlerts(redis);
    assert.deepEqual(byProcess(got1), expected1);
    // One worker per process, and the process's partition is the one its alerts are in.
    for (const { alert, worker, partition } of got1) {
      assert.ok(['e1', 'e2', 'e3'].includes(worker));
      assert.equal(partition, eventPartition(alert.host, alert.pid, PARTITIONS));
    }
    assert.equal(new Set(got1.map((a) => a.worker)).size, 3, 'every worker raised alerts');

    // Phase 2: SIGKILL a worker; its partitions are taken over once their leases expire.
    const owners = await leaseOwners(redis);
    const victim = ws[1];
    const orphaned = owners.flatMap((o, p) => (o === victim.name ? [p] : []));
    assert.ok(orphaned.length > 0);
    await procs.kill(victim);
    const phase2 = replayEvents([...benign.slice(230, 260), ...malware.slice(230, 260)], 5000);
    const file2 = join(work, 'events2.jsonl');
    writeFileSync(file2, `${phase2.join('\n')}\n`);
    const s2 = await runCli(['submit', '--redis', server.url, '--events', file2, '--json']);
    assert.equal(s2.code, 0, s2.stderr);
    await procs.until('phase 2 events consumed', 60_000, async () => (await eventsLeft(redis)) === 0);
    const expected2 = expectedAlerts(detector, phase2, reference);
    const got2 = (await clusterAlerts(redis)).filter((a) => a.alert.pid >= 5000);
    assert.deepEqual(byProcess(got2), expected2);
    assert.ok(got2.every((a) => a.worker !== victim.name));
    assert.ok(
      got2.some((a) => orphaned.includes(a.partition)),
      'alerts from the dead worker’s partitions were raised by the survivors',
    );
    const after = await leaseOwners(redis);
    assert.ok(
      after.every((o) => o === 'e1' || o === 'e3'),
      `lease owners ${JSON.stringify(after)}`,
    );

    const status = await runCli(['cluster', 'status', '--redis', server.url, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout) as { partitions: Array<{ owner: string; alerts: number }> };
    assert.equal(st.partitions.length, PARTITIONS);
    assert.equal(
      st.partitions.reduce((n, p) => n + p.alerts, 0),
      got1.length + got2.length,
    );
    await Promise.all([procs.stop(ws[0]), procs.stop(ws[2])]);
  } finally {
    redis.disconnect();
    await server.stop();
  }
});

test('a new owner takes the entries a dead consumer left pending, in order; a partition leased by another is left alone', async () => {
  const server = await RedisServer.start();
  const redis = client(server.url);
  const own = client(server.url);
  const logs: string[] = [];
  try {
    const model = createModel(configFromFlags({}));
    for (const s of [...samples.slice(0, 100), ...samples.slice(-100)]) model.train(s, s.label as string);
    await redis.set(keys.model(1), Buffer.from(model.toBytes()));
    await redis.set(keys.current, '1');
    await redis.set(keys.partitions, '1');
    const lines = replayEvents(
      samples.slice(-110, -100).map((_, k) => samples.length - 110 + k),
      100,
    );
    await redis.xgroup('CREATE', keys.events(0), 'workers', '0', 'MKSTREAM');
    for (const line of lines) await redis.xadd(keys.events(0), '*', 'event', line);
    // A consumer that read the first 40 events and died: they stay pending, and its lease lingers.
    await redis.xreadgroup('GROUP', 'workers', 'ghost', 'COUNT', 40, 'STREAMS', keys.events(0), '>');
    await redis.set(keys.eventLease(0), 'ghost', 'PX', 600);

    const live = new LiveEvents(own, keys, {
      ...DEFAULT_LIVE_OPTIONS,
      name: 'heir',
      group: 'workers',
      threshold: 0,
      leaseTtlMs: 1_000,
      heartbeatMs: 100,
      log: (m) => logs.push(m),
    });
    await live.start();
    const running = live.run();
    await procs.until('the events handled', 20_000, async () => (await redis.xlen(keys.events(0))) === 0);
    live.stop();
    await running;
    assert.equal(live.stats.events, lines.length);
    assert.equal(live.stats.takeovers, 1, logs.join('\n'));
    assert.equal((await redis.xpending(keys.events(0), 'workers'))[0], 0);
    assert.equal(await redis.get(keys.eventLease(0)), null, 'a clean stop gives the lease back');

    const reference: Alert[] = [];
    const expected = expectedAlerts(referenceDetector(model, reference), lines, reference);
    assert.ok(expected.size > 0);
    const got = await clusterAlerts(redis);
    assert.deepEqual(byProcess(got), expected);
    assert.ok(got.every((a) => a.worker === 'heir'));

    // A partition whose lease another worker holds is neither read nor acknowledged.
    await redis.set(keys.eventLease(0), 'usurper', 'PX', 60_000);
    for (const line of lines.slice(0, 20)) await redis.xadd(keys.events(0), '*', 'event', line);
    const fenced = new LiveEvents(own, keys, {
      ...DEFAULT_LIVE_OPTIONS,
      name: 'late',
      group: 'workers',
      threshold: 0,
      heartbeatMs: 100,
      log: (m) => logs.push(m),
    });
    await fenced.start();
    const run2 = fenced.run();
    await sleep(600);
    fenced.stop();
    await run2;
    assert.equal(fenced.stats.partitions, 0);
    assert.equal(await redis.xlen(keys.events(0)), 20, 'the events wait for the lease holder');
    assert.equal((await clusterAlerts(redis)).length, got.length);
  } finally {
    redis.disconnect();
    own.disconnect();
    await server.stop();
  }
});
