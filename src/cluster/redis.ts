// Redis plumbing shared by worker, mixer, submit and status: connections that outlive a Redis
// restart, the consumer group, and the mix lock (SET NX PX, released by check-and-delete).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { InputError } from '../core/errors.js';

/**
 * A client that reconnects for ever (backing off up to 1 s) and keeps commands queued while
 * Redis is away, so a restarted server is picked up where the work stopped.
 */
export function connect(url: string, onError?: (err: Error) => void): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new InputError(`not a redis:// URL: ${url}`, '--redis');
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    enableAutoPipelining: false,
  });
  client.on('error', (err: Error) => onError?.(err));
  return client;
}

/** Creates the consumer group (and the stream) when missing; from the start of the stream. */
export async function ensureGroup(redis: Redis, stream: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
}

/** True for the error Redis gives when the group (or stream) vanished, e.g. after a restart without AOF. */
export function isNoGroup(err: unknown): boolean {
  return String((err as Error)?.message ?? err).includes('NOGROUP');
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Takes the lock for `ttlMs` when free; the returned token releases it. */
export async function tryLock(redis: Redis, key: string, ttlMs: number): Promise<string | null> {
  const token = randomBytes(12).toString('hex');
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  return ok === 'OK' ? token : null;
}

/** Releases the lock only if `token` still holds it (an expired lock taken by another is left alone). */
export async function releaseLock(redis: Redis, key: string, token: string): Promise<boolean> {
  return (await redis.eval(RELEASE, 1, key, token)) === 1;
}

/** Flat [field, value, field, value] (a stream entry) to a Map, values as Buffers. */
export function entryFields(flat: Buffer[] | null): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (!flat) return m;
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i].toString(), flat[i + 1]);
  return m;
}
