// Redis plumbing shared by worker, mixer, submit and status: connections (to one server or to a
// Redis Cluster) that outlive a Redis restart, the consumer group, and the mix lock (SET NX PX,
// released by check-and-delete). On a Cluster every multi-key command and script of malgram
// stays within one hash slot: the keys carry hash tags (keys.ts).
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { InputError } from '../core/errors.js';

/** A connection to a single Redis server or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

const CLUSTER_SCHEME = 'redis+cluster://';

/** `host:port,host:port...` (the seed nodes of a Redis Cluster) as a `redis+cluster://` URL. */
export function clusterUrl(nodes: string): string {
  return `${CLUSTER_SCHEME}${nodes}`;
}

function seedNodes(url: string): Array<{ host: string; port: number }> {
  const list = url.slice(CLUSTER_SCHEME.length).replace(/\/$/, '');
  const nodes = list.split(',').map((node) => {
    const m = /^([^\s:,/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(node.trim());
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new InputError(`not a host:port cluster node: "${node}"`, '--redis');
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0 || list === '') throw new InputError(`no cluster nodes in ${url}`, '--redis');
  return nodes;
}

/**
 * A client that reconnects for ever (backing off up to 1 s) and keeps commands queued while
 * Redis is away, so a restarted server is picked up where the work stopped. `redis://` and
 * `rediss://` reach one server; `redis+cluster://host:port,host:port` a Redis Cluster through
 * the given seed nodes. `failFast`: no reconnection (one-shot commands such as status).
 */
export function connect(
  url: string,
  onError?: (err: Error) => void,
  opts: { failFast?: boolean } = {},
): RedisClient {
  const retryStrategy = (attempt: number) => (opts.failFast ? null : Math.min(50 * attempt, 1000));
  const maxRetriesPerRequest = opts.failFast ? 1 : null;
  let client: RedisClient;
  if (url.startsWith(CLUSTER_SCHEME)) {
    client = new Cluster(seedNodes(url), {
      clusterRetryStrategy: retryStrategy,
      enableAutoPipelining: false,
      redisOptions: { maxRetriesPerRequest },
    });
  } else {
    if (!/^rediss?:\/\//.test(url))
      throw new InputError(`not a redis://, rediss:// or redis+cluster:// URL: ${url}`, '--redis');
    client = new Redis(url, { maxRetriesPerRequest, retryStrategy, enableAutoPipelining: false });
  }
  client.on('error', (err: Error) => onError?.(err));
  return client;
}

/** Creates the consumer group (and the stream) when missing; from the start of the stream. */
export async function ensureGroup(redis: RedisClient, stream: string, group: string): Promise<void> {
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
export async function tryLock(redis: RedisClient, key: string, ttlMs: number): Promise<string | null> {
  const token = randomBytes(12).toString('hex');
  const ok = await redis.set(key, token, 'PX', ttlMs, 'NX');
  return ok === 'OK' ? token : null;
}

/** Releases the lock only if `token` still holds it (an expired lock taken by another is left alone). */
export async function releaseLock(redis: RedisClient, key: string, token: string): Promise<boolean> {
  return (await redis.eval(RELEASE, 1, key, token)) === 1;
}

/** Flat [field, value, field, value] (a stream entry) to a Map, values as Buffers. */
export function entryFields(flat: Buffer[] | null): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (!flat) return m;
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i].toString(), flat[i + 1]);
  return m;
}

/** The URL a command connects to: `--redis URL`, or `--redis-cluster host:port,...`. */
export function redisTarget(flags: { redis?: string; redisCluster?: string }): string {
  if (flags.redis && flags.redisCluster) throw new InputError('give --redis or --redis-cluster, not both');
  if (flags.redisCluster) return clusterUrl(flags.redisCluster);
  if (flags.redis) return flags.redis;
  throw new InputError('give --redis URL (redis://host:port) or --redis-cluster host:port,...');
}
