// Redis key layout of one malgram cluster. Every key of the report pipeline and of the model
// carries the same hash tag `{<name>}`, so on Redis Cluster they share one slot: the Lua scripts
// that commit a mix round (model, version pointer, trained-id bucket, XACK of the reports stream)
// and record a result (results stream + XACK) touch several of them atomically. Event
// partitions get a tag of their own, `{<name>:p<i>}`, so partitions spread over the cluster
// while a partition's stream, lease and alerts stay together.

/** Longest accepted cluster name (it is part of every key). */
const MAX_NAME_CHARS = 64;

export interface ClusterKeys {
  readonly name: string;
  /** Stream of work: one entry per sample (`id`, `trace`). */
  readonly reports: string;
  /** Stream of classification results. */
  readonly results: string;
  /**
   * Set of analysis ids whose training is part of a published model version: every one with the
   * dedupe window `forever`; otherwise the set an earlier version left, read until it expires.
   */
  readonly trained: string;
  /** Analysis ids trained by the mix rounds of the bucket starting at `start` (dedupe.ts). */
  trainedBucket(start: number): string;
  /** The dedupe window in seconds (0 = forever), set once by the first worker. */
  readonly dedupeWindow: string;
  /** The cluster's classifier config (JSON), set once by the first worker. */
  readonly config: string;
  /** Mix options (JSON), set once with the config. */
  readonly mixOptions: string;
  /** Integer: the current model version (0 = no model published yet). */
  readonly current: string;
  /** Full model file of version v. */
  model(version: number): string;
  /** The mixed diff that turned version v−1 into v. */
  mixed(version: number): string;
  /** Hash worker -> published diff for a round at base version v. */
  diffs(version: number): string;
  /** A mix round at base version v was requested (value: v). */
  readonly mixRequest: string;
  /** The mix master lock (SET NX PX). */
  readonly mixLock: string;
  /** Hash worker -> heartbeat JSON. */
  readonly workers: string;
  /** Hash of cluster-wide counters (classified, duplicates...). */
  readonly counters: string;
  /** Number of event partitions (integer, set once). */
  readonly partitions: string;
  /** Event stream of partition i. */
  events(partition: number): string;
  /** Lease of partition i (owner worker name, with expiry). */
  eventLease(partition: number): string;
  /** Alerts of partition i. */
  alerts(partition: number): string;
}

export function clusterKeys(name = 'malgram'): ClusterKeys {
  if (name.length === 0 || name.length > MAX_NAME_CHARS || /[{}\s]/.test(name))
    throw new Error(`invalid cluster name "${name}": 1-${MAX_NAME_CHARS} characters, no braces or spaces`);
  const tag = `{${name}}`;
  const part = (i: number) => `{${name}:p${i}}`;
  return {
    name,
    reports: `${tag}:reports`,
    results: `${tag}:results`,
    trained: `${tag}:trained`,
    trainedBucket: (start) => `${tag}:trained:${start}`,
    dedupeWindow: `${tag}:dedupe-window`,
    config: `${tag}:config`,
    mixOptions: `${tag}:mix-options`,
    current: `${tag}:model:current`,
    model: (v) => `${tag}:model:${v}`,
    mixed: (v) => `${tag}:mixed:${v}`,
    diffs: (v) => `${tag}:diffs:${v}`,
    mixRequest: `${tag}:mix:request`,
    mixLock: `${tag}:mix:lock`,
    workers: `${tag}:workers`,
    counters: `${tag}:counters`,
    partitions: `${tag}:partitions`,
    events: (i) => `${part(i)}:events`,
    eventLease: (i) => `${part(i)}:lease`,
    alerts: (i) => `${part(i)}:alerts`,
  };
}

/** The consumer group every worker of the cluster joins. */
export const DEFAULT_GROUP = 'workers';

/** Partition of a live process: FNV-1a of `host\0pid`, modulo the partition count. */
export function eventPartition(host: string, pid: number, partitions: number): number {
  let h = 0x811c9dc5;
  const s = `${host}\u0000${pid}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}
