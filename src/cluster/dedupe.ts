// The cluster's memory of trained analysis ids, bounded by a dedupe window.
//
// A mix round adds the ids it trained to the bucket of its own Redis TIME (never a worker's
// clock): the set `<tag>:trained:<s>` with s = now − now mod b, bucket width b = ⌈window / 8⌉.
// Each bucket gets EXPIREAT s + b + window, so an id is remembered for at least `window` after
// the round that trained it and at most window + b; after that a redelivered entry with that id
// is trained again. At Redis time `now` the buckets that can still exist start at
// ⌊(now − window)/b⌋·b, ⌊(now − window)/b⌋·b + b, …, ⌊now/b⌋·b (at most 10 of them); a
// membership check asks each of them, plus the set below, in one pipeline (one hash slot).
//
// The window is the cluster's (key `<tag>:dedupe-window`, seconds, set by the first worker) and
// is read with TIME on every check and by the commit script, so every worker and mixer use the
// same one, and a SET of that key takes effect at once. No key (no worker since the upgrade) and
// 0 (`forever`) mean the unbounded set `<tag>:trained` of earlier versions, never expired. With a
// window that set (left by an earlier version) is still read, and the first round commit gives
// it an EXPIRE of one window: its ids are remembered one more window, then it is gone — no
// migration step.
import { InputError } from '../core/errors.js';
import type { ClusterKeys } from './keys.js';
import type { RedisClient } from './redis.js';

/** Default dedupe window: 7 days. */
export const DEFAULT_DEDUPE_WINDOW_S = 7 * 86_400;
/** Longest accepted window (10 years); longer is `forever`. */
const MAX_WINDOW_S = 3650 * 86_400;
/** Buckets per window: what a bucket costs (one SMISMEMBER per check) vs the overshoot (1/8). */
const BUCKETS_PER_WINDOW = 8;

const UNIT_S = new Map([
  ['s', 1],
  ['m', 60],
  ['h', 3600],
  ['d', 86_400],
  ['w', 7 * 86_400],
]);

/** `7d`, `12h`, `90m`, `30s`, `2w`, bare seconds; `0` or `forever`: no window (0). */
export function parseDedupeWindow(text: string, flag = '--dedupe-window'): number {
  const t = text.trim().toLowerCase();
  if (t === 'forever') return 0;
  const m = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(t);
  const seconds = m ? Number(m[1]) * (UNIT_S.get(m[2] || 's') ?? 1) : Number.NaN;
  if (seconds === 0) return 0;
  if (!Number.isInteger(seconds) || seconds > MAX_WINDOW_S)
    throw new InputError(
      `must be whole seconds up to 3650d (examples: 7d, 12h, 90s) or 0 / forever, got "${text}"`,
      flag,
    );
  return seconds;
}

/** `7d`, `1h30m`, `2s`; `forever` for 0. */
export function formatWindow(seconds: number): string {
  return seconds === 0 ? 'forever' : formatSeconds(seconds);
}

/** `7d`, `1h30m`, `0s`. */
export function formatSeconds(seconds: number): string {
  if (seconds <= 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, s] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= s) {
      out += `${Math.floor(rest / s)}${unit}`;
      rest %= s;
    }
  }
  return out;
}

/** Bucket width in seconds (0 for `forever`). */
export function bucketSeconds(windowS: number): number {
  return windowS === 0 ? 0 : Math.max(1, Math.ceil(windowS / BUCKETS_PER_WINDOW));
}

/** Start (Unix seconds) of the bucket holding time `nowS`. */
export function bucketStart(nowS: number, windowS: number): number {
  const b = bucketSeconds(windowS);
  return nowS - (nowS % b);
}

/** When the bucket starting at `start` expires (Unix seconds). */
export function bucketExpireAt(start: number, windowS: number): number {
  return start + bucketSeconds(windowS) + windowS;
}

/** Starts of the buckets that may still exist at Redis time `nowS`, oldest first. */
export function liveBucketStarts(nowS: number, windowS: number): number[] {
  const b = bucketSeconds(windowS);
  const starts: number[] = [];
  for (let s = bucketStart(nowS - windowS, windowS); s <= nowS; s += b) starts.push(s);
  return starts;
}

// Run on the node that owns the cluster's slot (its key is declared), so on a Redis Cluster the
// time is the clock of the node that expires the buckets.
const CLOCK = `local t = redis.call('TIME') return {t[1], redis.call('GET', KEYS[1])}`;

/** Redis TIME in whole seconds (of the node holding the cluster's keys), and the stored window. */
export async function redisClock(
  redis: RedisClient,
  keys: ClusterKeys,
): Promise<{ nowS: number; windowS: number | null }> {
  const [now, window] = (await redis.eval(CLOCK, 1, keys.dedupeWindow)) as [string, string | null];
  const w = window === null || window === undefined ? null : Number(window);
  return { nowS: Number(now), windowS: w !== null && Number.isInteger(w) && w >= 0 ? w : null };
}

/**
 * The cluster's window: the first worker sets it (like the classifier config), later workers use
 * it. Returns the cluster's value; `onMismatch` hears when it differs from `wanted`.
 */
export async function joinDedupeWindow(
  redis: RedisClient,
  keys: ClusterKeys,
  wanted: number,
  onMismatch: (clusterWindowS: number) => void,
): Promise<number> {
  await redis.set(keys.dedupeWindow, String(wanted), 'NX');
  const { windowS } = await redisClock(redis, keys);
  if (windowS === null) throw new Error(`${keys.dedupeWindow} does not hold a window in seconds`);
  if (windowS !== wanted) onMismatch(windowS);
  return windowS;
}

/** For each id: was it trained within the cluster's window (or ever, for `forever`)? Two round trips. */
export async function trainedFlags(
  redis: RedisClient,
  keys: ClusterKeys,
  ids: readonly string[],
): Promise<boolean[]> {
  if (ids.length === 0) return [];
  const { nowS, windowS } = await redisClock(redis, keys);
  const sets = [keys.trained];
  if (windowS) sets.push(...liveBucketStarts(nowS, windowS).map((s) => keys.trainedBucket(s)));
  const pipe = redis.pipeline();
  for (const set of sets) pipe.smismember(set, ...ids);
  const replies = (await pipe.exec()) ?? [];
  const flags = ids.map(() => false);
  for (const [err, reply] of replies) {
    if (err) throw err;
    (reply as number[]).forEach((f, i) => {
      if (f === 1) flags[i] = true;
    });
  }
  return flags;
}

export interface DedupeBucket {
  /** Bucket start, Unix seconds (Redis time). */
  start: number;
  ids: number;
  /** Seconds until Redis drops it. */
  expiresInS: number;
}

export interface DedupeStatus {
  /** Seconds; 0 = forever. */
  windowS: number;
  window: string;
  bucketS: number;
  /** Non-empty live buckets, oldest first. */
  buckets: DedupeBucket[];
  /** Ids in `<tag>:trained` (every id for `forever`; else left by an earlier version). */
  unbucketedIds: number;
  /** Seconds until that set expires (null: it does not). */
  unbucketedExpiresInS: number | null;
  /** Ids remembered in all: a redelivered entry with one of them is not trained again. */
  ids: number;
}

/** The ids held per bucket and in all, and the window (null when no worker has set one yet). */
export async function dedupeStatus(redis: RedisClient, keys: ClusterKeys): Promise<DedupeStatus | null> {
  const { nowS, windowS } = await redisClock(redis, keys);
  const window = windowS ?? 0;
  const starts = windowS ? liveBucketStarts(nowS, window) : [];
  const pipe = redis.pipeline();
  for (const set of [keys.trained, ...starts.map((s) => keys.trainedBucket(s))]) pipe.scard(set).ttl(set);
  const replies = (await pipe.exec()) ?? [];
  const values = replies.map(([err, reply]) => {
    if (err) throw err;
    return Number(reply);
  });
  const buckets: DedupeBucket[] = [];
  starts.forEach((start, i) => {
    const ids = values[2 * (i + 1)];
    if (ids > 0) buckets.push({ start, ids, expiresInS: values[2 * (i + 1) + 1] });
  });
  const unbucketedIds = values[0];
  if (windowS === null && unbucketedIds === 0) return null;
  return {
    windowS: window,
    window: formatWindow(window),
    bucketS: bucketSeconds(window),
    buckets,
    unbucketedIds,
    unbucketedExpiresInS: values[1] >= 0 ? values[1] : null,
    ids: unbucketedIds + buckets.reduce((s, b) => s + b.ids, 0),
  };
}
