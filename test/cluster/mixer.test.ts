// A mix round against a real redis-server: what it commits, and what it refuses to commit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { clusterKeys } from '../../src/cluster/keys.js';
import { type MixOptions, runMixRound } from '../../src/cluster/mixer.js';
import { releaseLock, tryLock } from '../../src/cluster/redis.js';
import type { Trace } from '../../src/core/trace.js';
import { configFromFlags } from '../../src/features/config.js';
import { createModel, modelFromBytes } from '../../src/learn/model.js';
import { publishTwo } from './publish.js';
import { RedisServer } from './redis-server.js';

const keys = clusterKeys('mixtest');
const configJson = JSON.stringify(configFromFlags({ ngram: 1 }));
const options: MixOptions = { weighting: 'count', gatherMs: 200, heartbeatTtlMs: 60_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

const trace = (id: string, calls: string[]): Trace => ({
  id,
  format: 'jsonl',
  processes: [{ pid: 1, calls: calls.map((api) => ({ api })) }],
});

/** A fresh redis with two workers' contributions for version 0 (publish.ts); the stream entry ids. */
async function publishTwoFresh(): Promise<string[]> {
  await redis.flushall();
  return publishTwo(redis, keys, configJson, 0);
}

test('a round folds the diffs, writes model v1, records and acknowledges the samples, then flips the version', async () => {
  const entries = await publishTwoFresh();
  const token = await tryLock(redis, keys.mixLock, 10_000);
  assert.ok(token);
  const report = await runMixRound(redis, keys, 'workers', 0, token, configJson, options, () => {});
  assert.ok(await releaseLock(redis, keys.mixLock, token));
  assert.equal(report.committed, true);
  assert.equal(report.contributions, 2);
  assert.equal(await redis.get(keys.current), '1');
  assert.deepEqual((await redis.smembers(keys.trained)).sort(), ['w1-sample', 'w2-sample']);
  assert.equal(await redis.xlen(keys.reports), 0, 'acknowledged entries are deleted');
  assert.deepEqual(await redis.xpending(keys.reports, 'workers'), [0, null, null, null]);
  assert.equal(await redis.exists(keys.diffs(0)), 0);
  const bytes = await redis.getBuffer(keys.model(1));
  assert.ok(bytes);
  const model = modelFromBytes(bytes);
  assert.equal(model.version, 1);
  assert.deepEqual(
    model.labelCounts(),
    new Map([
      ['malware', 1],
      ['benign', 1],
    ]),
  );
  // Each weight was learned on one of two workers: the mix halved it.
  const single = createModel(configJson);
  single.train(trace('s', ['NtClose']), 'benign');
  const feature = [...single.convert(trace('s', ['NtClose']))][0][0];
  const mixedWeight = model.featureWeights(feature)?.get('benign');
  const singleWeight = single.featureWeights(feature)?.get('benign');
  assert.ok(mixedWeight !== undefined && singleWeight !== undefined);
  assert.ok(Math.abs(mixedWeight - singleWeight / 2) < 1e-6, `${mixedWeight} vs ${singleWeight}/2`);
  assert.equal(entries.length, 2);
});

test('a mixer that lost its lock commits nothing: no model v1, version and diffs untouched', async () => {
  await publishTwoFresh();
  const token = await tryLock(redis, keys.mixLock, 10_000);
  assert.ok(token);
  await redis.set(keys.mixLock, 'someone-else'); // the lock expired and another worker took it
  const report = await runMixRound(redis, keys, 'workers', 0, token, configJson, options, () => {});
  assert.equal(report.committed, false);
  assert.equal(await redis.get(keys.current), null);
  assert.equal(await redis.exists(keys.model(1)), 0);
  assert.equal(await redis.hlen(keys.diffs(0)), 2, 'the next mixer still finds the diffs');
  assert.equal(await redis.scard(keys.trained), 0);
  assert.equal(await redis.xlen(keys.reports), 2);
});

test('a contribution that trained an already-trained sample is left out whole, its entries stay pending', async () => {
  const [, entry2] = await publishTwoFresh();
  await redis.sadd(keys.trained, 'w2-sample');
  const token = await tryLock(redis, keys.mixLock, 10_000);
  assert.ok(token);
  const logs: string[] = [];
  const report = await runMixRound(redis, keys, 'workers', 0, token, configJson, options, (m) =>
    logs.push(m),
  );
  assert.equal(report.committed, true);
  assert.deepEqual(report.dropped, ['w2']);
  const model = modelFromBytes((await redis.getBuffer(keys.model(1))) as Buffer);
  assert.deepEqual(model.labelCounts(), new Map([['malware', 1]]));
  const pending = (await redis.xpending(keys.reports, 'workers', '-', '+', 10)) as Array<[string, string]>;
  assert.deepEqual(
    pending.map((p) => [p[0], p[1]]),
    [[entry2, 'w2']],
  );
  assert.match(logs.join('\n'), /left out w2/);
});
