// `cluster status`: what a cluster is doing, read from Redis only (workers need not answer).

import { type DedupeStatus, dedupeStatus } from './dedupe.js';
import type { ClusterKeys } from './keys.js';
import type { RedisClient } from './redis.js';

export interface WorkerStatus {
  name: string;
  /** Seconds since the last heartbeat. */
  lastSeenS: number;
  alive: boolean;
  version?: number;
  pid?: number;
  classified?: number;
  trained?: number;
  batch?: number;
  /** Live events handled, alerts written, event partitions held. */
  events?: number;
  alerts?: number;
  partitions?: number;
}

export interface PartitionStatus {
  partition: number;
  /** The worker holding the lease (null: free). */
  owner: string | null;
  /** Alerts in the partition's alerts stream. */
  alerts: number;
}

export interface StreamStatus {
  stream: string;
  /** Entries in the stream: submitted and not yet acknowledged. */
  length: number;
  group?: string;
  /** Delivered to a worker and not yet acknowledged. */
  pending?: number;
  /** Not yet delivered to any worker. */
  lag?: number | null;
}

export interface ClusterStatus {
  cluster: string;
  modelVersion: number;
  /** Training examples folded into the model by mix rounds (a retrain after the window counts again). */
  samplesTrained: number;
  /** The trained ids remembered against redelivery, per bucket (null: no worker has run yet). */
  dedupe: DedupeStatus | null;
  mixRounds: number;
  classified: number;
  duplicatesSkipped: number;
  workers: WorkerStatus[];
  streams: StreamStatus[];
  partitions: PartitionStatus[];
}

function flatToMap(flat: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), flat[i + 1]);
  return m;
}

async function streamStatus(redis: RedisClient, stream: string): Promise<StreamStatus[]> {
  const length = await redis.xlen(stream);
  let groups: unknown[] = [];
  try {
    groups = (await redis.xinfo('GROUPS', stream)) as unknown[];
  } catch {
    // no stream yet
  }
  if (groups.length === 0) return [{ stream, length }];
  return groups.map((g) => {
    const m = flatToMap(g as unknown[]);
    const lag = m.get('lag');
    return {
      stream,
      length,
      group: String(m.get('name')),
      pending: Number(m.get('pending') ?? 0),
      lag: lag === null || lag === undefined ? null : Number(lag),
    };
  });
}

export async function clusterStatus(
  redis: RedisClient,
  keys: ClusterKeys,
  heartbeatTtlMs = 5_000,
): Promise<ClusterStatus> {
  const [current, dedupe, counters, workers, partitions] = await Promise.all([
    redis.get(keys.current),
    dedupeStatus(redis, keys),
    redis.hgetall(keys.counters),
    redis.hgetall(keys.workers),
    redis.get(keys.partitions),
  ]);
  const now = Date.now();
  const workerList: WorkerStatus[] = [];
  for (const [name, value] of Object.entries(workers)) {
    let hb: Record<string, unknown> = {};
    try {
      hb = JSON.parse(value) as Record<string, unknown>;
    } catch {
      // unreadable heartbeat: shown with what we know
    }
    const ts = typeof hb.ts === 'number' ? hb.ts : 0;
    const num = (k: string) => (typeof hb[k] === 'number' ? (hb[k] as number) : undefined);
    workerList.push({
      name,
      lastSeenS: Math.round((now - ts) / 100) / 10,
      alive: now - ts <= heartbeatTtlMs,
      version: num('version'),
      pid: num('pid'),
      classified: num('classified'),
      trained: num('trained'),
      batch: num('batch'),
      events: num('events'),
      alerts: num('alerts'),
      partitions: num('partitions'),
    });
  }
  workerList.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const streams = await streamStatus(redis, keys.reports);
  const nPartitions = Number(partitions ?? 0);
  const partitionList: PartitionStatus[] = [];
  for (let p = 0; p < nPartitions && p < 4096; p++) {
    streams.push(...(await streamStatus(redis, keys.events(p))));
    const [owner, alerts] = await Promise.all([redis.get(keys.eventLease(p)), redis.xlen(keys.alerts(p))]);
    partitionList.push({ partition: p, owner, alerts });
  }
  const counter = (k: string) => Number(counters[k] ?? 0);
  return {
    cluster: keys.name,
    modelVersion: Number(current ?? 0),
    samplesTrained: counter('trained'),
    dedupe,
    mixRounds: counter('mix_rounds'),
    classified: counter('classified'),
    duplicatesSkipped: counter('duplicates'),
    workers: workerList,
    streams,
    partitions: partitionList,
  };
}
