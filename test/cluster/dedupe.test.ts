// The dedupe window of the trained ids against a real redis-server: ids within the window are
// not trained again, buckets carry an EXPIRE, an id whose bucket expired (Redis's own expiry,
// a 2 s window) is trained again, the unbucketed set of earlier versions is read and expired,
// and `cluster status` reports the counts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { analysisId } from '../../src/cluster/codec.js';
import {
  bucketSeconds,
  dedupeStatus,
  formatWindow,
  liveBucketStarts,
  parseDedupeWindow,
  redisClock,
  trainedFlags,
} from '../../src/cluster/dedupe.js';
import { clusterKeys } from '../../src/cluster/keys.js';
import { type MixOptions, runMixRound } from '../../src/cluster/mixer.js';
import { releaseLock, tryLock } from '../../src/cluster/redis.js';
import { clusterStatus } from '../../src/cluster/status.js';
import { submitTraces } from '../../src/cluster/submit.js';
import { Worker } from '../../src/cluster/worker.js';
import { DEFAULT_WORKER_OPTIONS } from '../../src/cluster/worker-options.js';
import type { Trace } from '../../src/core/trace.js';
import { configFromFlags } from '../../src/features/config.js';
import { loadSamples } from '../../src/ingest/source.js';
import { modelFromBytes } from '../../src/learn/model.js';
import { malbehavdCsv, runCli } from '../helpers/cli.js';
import { publishTwo } from './publish.js';
import { RedisServer } from './redis-server.js';

const configJson = JSON.stringify(configFromFlags({ ngram: 1 }));
const mixOptions: MixOptions = { weighting: 'count', gatherMs: 200, heartbeatTtlMs: 60_000 };
let server: RedisServer;
let redis: Redis;
/** 15 benign and 15 malware rows of MalbehavD-V1. */
let traces: Trace[];

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  const all = await loadSamples({ data: [malbehavdCsv], format: 'csv' });
  traces = [
    ...all.filter((t) => t.label === '0').slice(0, 15),
    ...all.filter((t) => t.label === '1').slice(0, 15),
  ];
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('windows parse and print; buckets are an eighth of the window, at most 10 live', () => {
  assert.equal(parseDedupeWindow('7d'), 604_800);
  assert.equal(parseDedupeWindow('1.5h'), 5400);
  assert.equal(parseDedupeWindow('90'), 90);
  assert.equal(parseDedupeWindow('forever'), 0);
  assert.equal(parseDedupeWindow('0'), 0);
  assert.throws(() => parseDedupeWindow('5x'), /--dedupe-window: must be whole seconds/);
  assert.throws(() => parseDedupeWindow('0.5s'), /--dedupe-window/);
  assert.throws(() => parseDedupeWindow('4000d'), /--dedupe-window/);
  assert.equal(formatWindow(604_800), '7d');
  assert.equal(formatWindow(5400), '1h30m');
  assert.equal(formatWindow(0), 'forever');
  assert.equal(bucketSeconds(604_800), 75_600);
  assert.equal(bucketSeconds(2), 1);
  // At 12:00 on some day, a 7-day window reaches back to buckets starting 7 days earlier.
  const now = 1_800_000_000;
  const starts = liveBucketStarts(now, 604_800);
  assert.ok(starts.length >= 9 && starts.length <= 10, `${starts.length} live buckets`);
  assert.ok(starts[0] <= now - 604_800 && starts[0] + 75_600 + 75_600 + 604_800 > now);
  assert.ok(starts[starts.length - 1] <= now && starts[starts.length - 1] + 75_600 > now);
});

async function mix(keys: ReturnType<typeof clusterKeys>, version: number) {
  const token = await tryLock(redis, keys.mixLock, 10_000);
  assert.ok(token);
  try {
    return await runMixRound(redis, keys, 'workers', version, token, configJson, mixOptions, () => {});
  } finally {
    await releaseLock(redis, keys.mixLock, token);
  }
}

test('a round commits its ids to the bucket of Redis time with an EXPIRE; once it expires they are trained again', async () => {
  const keys = clusterKeys('dedupe-expiry');
  await redis.set(keys.dedupeWindow, '2');
  await publishTwo(redis, keys, configJson, 0);
  const r1 = await mix(keys, 0);
  assert.equal(r1.committed, true);
  assert.equal(r1.analyses, 2);
  const buckets = await redis.keys('{dedupe-expiry}:trained:*');
  assert.equal(buckets.length, 1);
  const held = buckets[0];
  const { nowS } = await redisClock(redis, keys);
  assert.ok(Number(held.split(':').pop()) > nowS - 2, `${held} is the bucket of the round (now ${nowS})`);
  assert.deepEqual((await redis.smembers(held)).sort(), ['w1-sample', 'w2-sample']);
  const ttl = await redis.ttl(held);
  assert.ok(ttl > 0 && ttl <= 3, `bucket TTL ${ttl} s: window 2 s + bucket 1 s`);
  assert.equal(await redis.exists(keys.trained), 0, 'nothing in the unbucketed set');
  assert.deepEqual(await trainedFlags(redis, keys, ['w1-sample', 'w2-sample', 'other']), [true, true, false]);
  const status = await dedupeStatus(redis, keys);
  assert.equal(status?.window, '2s');
  assert.equal(status?.ids, 2);
  assert.deepEqual(
    status?.buckets.map((b) => b.ids),
    [2],
  );

  // Redis drops the bucket by itself (at most 3 s after the round); the same analyses are then
  // new again: a round that trained them is not left out, and the model counts them twice.
  await until('the bucket expired', 6_000, async () => (await redis.exists(held)) === 0);
  assert.deepEqual(await trainedFlags(redis, keys, ['w1-sample', 'w2-sample']), [false, false]);
  await publishTwo(redis, keys, configJson, 1);
  const r2 = await mix(keys, 1);
  assert.equal(r2.committed, true);
  assert.deepEqual(r2.dropped, []);
  const model = modelFromBytes((await redis.getBuffer(keys.model(2))) as Buffer);
  assert.deepEqual(
    model.labelCounts(),
    new Map([
      ['malware', 2],
      ['benign', 2],
    ]),
  );
  assert.equal(Number(await redis.hget(keys.counters, 'trained')), 4);
});

test('upgrade: the unbucketed set of an earlier version is still read, and gets an EXPIRE of one window', async () => {
  const keys = clusterKeys('dedupe-upgrade');
  await redis.sadd(keys.trained, 'w2-sample', 'older-sample');
  await redis.set(keys.dedupeWindow, '3600');
  await publishTwo(redis, keys, configJson, 0);
  const r = await mix(keys, 0);
  assert.equal(r.committed, true);
  assert.deepEqual(r.dropped, ['w2'], 'w2 trained an id the old set holds');
  const ttl = await redis.ttl(keys.trained);
  assert.ok(ttl > 3500 && ttl <= 3600, `old set TTL ${ttl}`);
  const status = await dedupeStatus(redis, keys);
  assert.equal(status?.unbucketedIds, 2);
  assert.equal(status?.ids, 3);
  assert.equal(status?.bucketS, 450);
  assert.ok((status?.buckets[0]?.expiresInS ?? 0) > 3600, 'the new bucket outlives the window');
});

test('forever: every id in the one set, never expired', async () => {
  const keys = clusterKeys('dedupe-forever');
  await redis.set(keys.dedupeWindow, '0');
  await publishTwo(redis, keys, configJson, 0);
  assert.equal((await mix(keys, 0)).committed, true);
  assert.deepEqual((await redis.smembers(keys.trained)).sort(), ['w1-sample', 'w2-sample']);
  assert.equal(await redis.ttl(keys.trained), -1);
  assert.deepEqual((await redis.keys('{dedupe-forever}:trained:*')).length, 0);
  const status = await dedupeStatus(redis, keys);
  assert.equal(status?.window, 'forever');
  assert.equal(status?.ids, 2);
  assert.equal(status?.unbucketedExpiresInS, null);
});

/** A worker in this process on cluster `name` with the given window; stopped by the returned function. */
async function runWorker(name: string, dedupeWindowS: number): Promise<() => Promise<void>> {
  const keys = clusterKeys(name);
  const worker = new Worker(redis, keys, {
    ...DEFAULT_WORKER_OPTIONS,
    name: 'w',
    configJson: JSON.stringify(configFromFlags({})),
    mixEvery: 10,
    mixIntervalMs: 200,
    blockMs: 50,
    gatherMs: 500,
    dedupeWindowS,
    log: () => {},
  });
  await worker.start();
  const running = worker.run();
  return async () => {
    worker.stop();
    await running;
  };
}

async function submitAll(keys: ReturnType<typeof clusterKeys>): Promise<void> {
  async function* gen() {
    for (const t of traces) yield t;
  }
  await submitTraces(redis, keys, gen(), { maxBacklog: 1000, batch: 64 });
}

const counter = async (keys: ReturnType<typeof clusterKeys>, k: string) =>
  Number((await redis.hget(keys.counters, k)) ?? 0);

async function labelCounts(keys: ReturnType<typeof clusterKeys>): Promise<Map<string, number>> {
  const v = Number(await redis.get(keys.current));
  return modelFromBytes((await redis.getBuffer(keys.model(v))) as Buffer).labelCounts();
}

test('a worker does not train a resubmitted sample again within the window; status reports the ids held', async () => {
  const keys = clusterKeys('dedupe-worker');
  const stop = await runWorker(keys.name, 7 * 86_400);
  try {
    await submitAll(keys);
    await until('30 trained', 60_000, async () => (await counter(keys, 'trained')) === 30);
    await submitAll(keys);
    await until(
      'the resubmission handled',
      60_000,
      async () => (await counter(keys, 'duplicates')) === 30 && (await redis.xlen(keys.reports)) === 0,
    );
    assert.equal(await counter(keys, 'trained'), 30);
    assert.deepEqual(
      await labelCounts(keys),
      new Map([
        ['0', 15],
        ['1', 15],
      ]),
    );
    const s = await clusterStatus(redis, keys);
    assert.equal(s.samplesTrained, 30);
    assert.equal(s.dedupe?.window, '7d');
    assert.equal(s.dedupe?.ids, 30);
    assert.equal(s.dedupe?.unbucketedIds, 0);
    for (const b of s.dedupe?.buckets ?? []) {
      assert.ok(b.expiresInS > 604_800 && b.expiresInS <= 604_800 + 75_600, `expires in ${b.expiresInS}`);
      assert.equal(await redis.sismember(keys.trainedBucket(b.start), analysisId(traces[0])), 1);
    }
    const text = await runCli(['cluster', 'status', '--redis', server.url, '--cluster', keys.name]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /30 samples trained/);
    assert.match(
      text.stdout,
      /trained ids held: 30, dedupe window 7d \(buckets of 21h\):\n {2}bucket \d{4}-\d\d-\d\dT[\d:.]+Z\tids \d+\texpires in 7d/,
    );
  } finally {
    await stop();
  }
});

test('a worker trains a resubmitted sample again once its window (2 s) has passed', async () => {
  const keys = clusterKeys('dedupe-worker-short');
  const stop = await runWorker(keys.name, 2);
  try {
    await submitAll(keys);
    await until('30 trained', 60_000, async () => (await counter(keys, 'trained')) === 30);
    await until('the ids expired', 6_000, async () => (await dedupeStatus(redis, keys))?.ids === 0);
    await submitAll(keys);
    await until('60 trained', 60_000, async () => (await counter(keys, 'trained')) === 60);
    assert.equal(await counter(keys, 'duplicates'), 0);
    assert.deepEqual(
      await labelCounts(keys),
      new Map([
        ['0', 30],
        ['1', 30],
      ]),
    );
  } finally {
    await stop();
  }
});
