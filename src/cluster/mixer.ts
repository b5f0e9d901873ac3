// One MIX round, run by the worker that holds the mix lock (jubatus-reference.md §4.3, on Redis).
//
// 1. Gather: wait until every live worker at base version v has published its contribution
//    (hash `diffs:v`, worker -> diff + the stream entries and analysis ids it trained), or the
//    gather time is up; a dead worker's heartbeat goes stale and it is no longer waited for.
// 2. Fold: contributions are taken in worker-name order; one whose diff is not at version v, or
//    that trained an analysis already in the trained set or in an earlier contribution of the
//    round (possible only when an entry was claimed from a slow but live worker), is left out
//    whole. Its entries stay pending and are trained again later, so every analysis ends up in
//    the model exactly once. The rest are folded by mix.ts.
// 3. Build: model v+1 = model v (or a fresh one for v = 0) + the mixed diff, built off-line in
//    this process, so nothing a worker can see is touched yet.
// 4. Commit, one Lua script, atomic on Redis (and in its AOF): if the version pointer is still v
//    and the lock is still ours, write model v+1 and the mixed diff, add the analyses to the
//    trained-id bucket of the script's own Redis TIME and the cluster's window (dedupe.ts; the
//    script refuses when the window or bucket the mixer named is no longer current, and the
//    mixer asks again), XACK + XDEL their stream entries, drop the round's diffs and versions
//    older than v, and only then flip the pointer to v+1. A round interrupted anywhere before
//    the script leaves version v and its diffs in place for the next mixer; no worker ever sees
//    a half-written model. This is the exactly-once-in-effect argument: the training of an
//    analysis becomes visible (model), recorded (trained ids) and acknowledged (XACK) in one
//    atomic step; before that step it can be redone, after it it is skipped — for the dedupe
//    window, after which its id expires.

import { createModel, modelFromBytes } from '../learn/model.js';
import type { ModelDiff } from '../learn/model-api.js';
import { type Contribution, decodeContribution, encodeMixed } from './codec.js';
import { bucketExpireAt, bucketSeconds, bucketStart, redisClock, trainedFlags } from './dedupe.js';
import type { ClusterKeys } from './keys.js';
import { emptyDiff, type MixWeighting, mixDiffs } from './mix.js';
import type { RedisClient } from './redis.js';

export interface MixOptions {
  weighting: MixWeighting;
  /** Longest wait for the live workers' contributions. */
  gatherMs: number;
  /** A worker whose heartbeat is older than this is not waited for. */
  heartbeatTtlMs: number;
}

export interface MixReport {
  version: number;
  contributions: number;
  dropped: string[];
  analyses: number;
  modelBytes: number;
  mixedBytes: number;
  gatherMs: number;
  buildMs: number;
  commitMs: number;
  committed: boolean;
}

const COMMIT = `
local v = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur ~= v then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
if tonumber(redis.call('GET', KEYS[13]) or '0') ~= tonumber(ARGV[10]) then return -2 end
local width = tonumber(ARGV[8])
if width > 0 then
  local now = tonumber(redis.call('TIME')[1])
  if now - now % width ~= tonumber(ARGV[7]) then return -2 end
end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4])
local n = tonumber(ARGV[6])
local first = 11
local last = first + n - 1
for i = first, last, 1000 do
  redis.call('SADD', KEYS[5], unpack(ARGV, i, math.min(i + 999, last)))
end
if width > 0 then
  if n > 0 then redis.call('EXPIREAT', KEYS[5], ARGV[9]) end
  if redis.call('TTL', KEYS[12]) == -1 then redis.call('EXPIRE', KEYS[12], ARGV[10]) end
end
for i = last + 1, #ARGV, 1000 do
  local j = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[6], ARGV[5], unpack(ARGV, i, j))
  redis.call('XDEL', KEYS[6], unpack(ARGV, i, j))
end
redis.call('DEL', KEYS[7], KEYS[8], KEYS[9], KEYS[10])
redis.call('HINCRBY', KEYS[11], 'mix_rounds', 1)
redis.call('HINCRBY', KEYS[11], 'trained', n)
redis.call('SET', KEYS[1], tostring(v + 1))
return 1
`;

/** Live workers at base version `version` (fresh heartbeat). */
async function liveWorkersAt(
  redis: RedisClient,
  keys: ClusterKeys,
  version: number,
  ttlMs: number,
): Promise<number> {
  const all = await redis.hgetall(keys.workers);
  const now = Date.now();
  let n = 0;
  for (const value of Object.values(all)) {
    try {
      const hb = JSON.parse(value) as { ts?: number; version?: number };
      if (typeof hb.ts === 'number' && now - hb.ts <= ttlMs && hb.version === version) n++;
    } catch {
      // a heartbeat we cannot read is not a live worker
    }
  }
  return n;
}

/** Runs the round at base version `version` while holding the lock `token`. */
export async function runMixRound(
  redis: RedisClient,
  keys: ClusterKeys,
  group: string,
  version: number,
  token: string,
  configJson: string,
  options: MixOptions,
  log: (message: string) => void,
): Promise<MixReport> {
  const started = Date.now();
  const diffsKey = keys.diffs(version);
  for (;;) {
    const [published, live] = await Promise.all([
      redis.hlen(diffsKey),
      liveWorkersAt(redis, keys, version, options.heartbeatTtlMs),
    ]);
    if (published >= live || Date.now() - started >= options.gatherMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const gathered = Date.now();

  const raw = await redis.hgetallBuffer(diffsKey);
  const contributions: Contribution[] = [];
  for (const [worker, bytes] of Object.entries(raw)) {
    try {
      contributions.push(decodeContribution(bytes));
    } catch (err) {
      log(`mix v${version}: contribution of ${worker} unreadable, left out: ${(err as Error).message}`);
    }
  }
  contributions.sort((a, b) => (a.worker < b.worker ? -1 : a.worker > b.worker ? 1 : 0));
  const allAnalyses = contributions.flatMap((c) => c.analyses);
  const alreadyTrained = new Set<string>();
  const flags = await trainedFlags(redis, keys, allAnalyses);
  flags.forEach((f, i) => {
    if (f) alreadyTrained.add(allAnalyses[i]);
  });
  const seen = new Set<string>();
  const accepted: Contribution[] = [];
  const dropped: string[] = [];
  for (const c of contributions) {
    const clash =
      c.diff.baseVersion !== version || c.analyses.some((a) => alreadyTrained.has(a) || seen.has(a));
    if (clash) {
      dropped.push(c.worker);
      continue;
    }
    for (const a of c.analyses) seen.add(a);
    accepted.push(c);
  }
  const diffs: ModelDiff[] = accepted.map((c) => c.diff);
  const mixed = diffs.length > 0 ? mixDiffs(diffs, options.weighting) : emptyDiff(version);

  const snapshot = await redis.getBuffer(keys.model(version));
  if (version > 0 && !snapshot) throw new Error(`model version ${version} is missing from Redis`);
  const model = snapshot ? modelFromBytes(snapshot, keys.model(version)) : createModel(configJson);
  model.applyMixed(mixed);
  const modelBytes = model.toBytes();
  // The label order rides along: a worker whose labels are registered in another order would
  // break score ties differently (all-zero scores), so it loads the full model instead.
  const mixedBytes = encodeMixed(mixed, model.labels());
  const built = Date.now();

  const analyses = accepted.flatMap((c) => c.analyses);
  const entries = accepted.flatMap((c) => c.entries);
  let result: unknown;
  // -2: the bucket named turned over between reading Redis TIME and the script (rare: a bucket
  // is an eighth of the window), or the window was changed; a few tries, each reading both again.
  for (let attempt = 0; ; attempt++) {
    const clock = await redisClock(redis, keys);
    const window = clock.windowS ?? 0;
    const start = window === 0 ? 0 : bucketStart(clock.nowS, window);
    result = await redis.eval(
      COMMIT,
      13,
      keys.current,
      keys.mixLock,
      keys.model(version + 1),
      keys.mixed(version + 1),
      window === 0 ? keys.trained : keys.trainedBucket(start),
      keys.reports,
      diffsKey,
      keys.mixRequest,
      keys.model(version - 1),
      keys.mixed(version),
      keys.counters,
      keys.trained,
      keys.dedupeWindow,
      String(version),
      token,
      Buffer.from(modelBytes.buffer, modelBytes.byteOffset, modelBytes.byteLength),
      Buffer.from(mixedBytes.buffer, mixedBytes.byteOffset, mixedBytes.byteLength),
      group,
      String(analyses.length),
      String(start),
      String(bucketSeconds(window)),
      String(window === 0 ? 0 : bucketExpireAt(start, window)),
      String(window),
      ...analyses,
      ...entries,
    );
    if (result !== -2) break;
    if (attempt >= 4)
      throw new Error(
        `mix v${version}: the trained-id bucket or the window kept changing (does ${keys.dedupeWindow} hold whole seconds?)`,
      );
  }
  const done = Date.now();
  if (dropped.length > 0)
    log(`mix v${version}: left out ${dropped.join(', ')} (stale or already-trained samples)`);
  return {
    version: version + 1,
    contributions: accepted.length,
    dropped,
    analyses: analyses.length,
    modelBytes: modelBytes.byteLength,
    mixedBytes: mixedBytes.byteLength,
    gatherMs: gathered - started,
    buildMs: built - gathered,
    commitMs: done - built,
    committed: result === 1,
  };
}
