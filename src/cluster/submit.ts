// Pushing work into the cluster's streams with back-pressure: before each batch the producer
// waits while the stream holds `maxBacklog` entries or more (entries leave the stream only when
// acknowledged, so its length is the work not yet done). Nothing is trimmed: unprocessed work
// is never dropped.
import { createReadStream } from 'node:fs';
import { cannotRead } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import { DEFAULT_MAX_LINE_BYTES, type DetectEvent, formatEvent } from '../detect/events.js';
import { EventLineSplitter } from '../detect/inputs/lines.js';
import { encodeTrace } from './codec.js';
import { type ClusterKeys, eventPartition } from './keys.js';
import type { RedisClient } from './redis.js';

export interface SubmitOptions {
  /** Wait while a stream holds this many entries or more. */
  maxBacklog: number;
  /** Entries per pipelined batch. */
  batch: number;
  /** Strip labels: classify only, never train. */
  noTrain?: boolean;
  onSubmitted?: (n: number) => void;
}

export const DEFAULT_PARTITIONS = 8;

async function waitBelow(
  redis: RedisClient,
  stream: string,
  maxBacklog: number,
  need: number,
): Promise<number> {
  let waitedMs = 0;
  for (;;) {
    const len = await redis.xlen(stream);
    if (len + need <= maxBacklog || len === 0) return waitedMs;
    await new Promise((r) => setTimeout(r, 50));
    waitedMs += 50;
  }
}

/**
 * XADDs the entries, one pipeline per stream (on a Redis Cluster a pipeline must stay within one
 * hash slot; each stream keeps its entries' order); the ones that failed (Redis went away
 * mid-batch) are sent again once it is back, so nothing is lost. An entry whose reply was lost
 * after Redis stored it is then stored twice: delivery is at least once, and training skips a
 * repeated analysis id.
 */
async function addAll(
  redis: RedisClient,
  entries: Array<[stream: string, value: Buffer | string]>,
  field: string,
): Promise<void> {
  const byStream = new Map<string, Array<Buffer | string>>();
  for (const [stream, value] of entries) {
    const values = byStream.get(stream);
    if (values) values.push(value);
    else byStream.set(stream, [value]);
  }
  await Promise.all([...byStream].map(([stream, values]) => addToStream(redis, stream, values, field)));
}

async function addToStream(
  redis: RedisClient,
  stream: string,
  values: Array<Buffer | string>,
  field: string,
): Promise<void> {
  let todo = values;
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
    const p = redis.pipeline();
    for (const value of todo) p.xadd(stream, '*', field, value);
    const results =
      (await p.exec().catch(() => null)) ?? todo.map(() => [new Error('pipeline failed'), null]);
    // Resend from the first failure on, so the stream keeps the submission order.
    const firstFailed = results.findIndex((r) => r?.[0]);
    todo = firstFailed < 0 ? [] : todo.slice(firstFailed);
  }
}

export interface SubmitReport {
  submitted: number;
  /** Time spent waiting for the workers (back-pressure), ms. */
  waitedMs: number;
}

export async function submitTraces(
  redis: RedisClient,
  keys: ClusterKeys,
  traces: AsyncIterable<Trace>,
  opts: SubmitOptions,
): Promise<SubmitReport> {
  let submitted = 0;
  let waitedMs = 0;
  let pending: Uint8Array[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    waitedMs += await waitBelow(redis, keys.reports, opts.maxBacklog, pending.length);
    await addAll(
      redis,
      pending.map((bytes) => [keys.reports, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),
      'trace',
    );
    submitted += pending.length;
    opts.onSubmitted?.(pending.length);
    pending = [];
  };
  for await (const trace of traces) {
    if (opts.noTrain) trace.label = undefined;
    pending.push(encodeTrace(trace));
    if (pending.length >= opts.batch) await flush();
  }
  await flush();
  return { submitted, waitedMs };
}

/** The cluster's number of event partitions, fixed by the first producer or worker. */
export async function eventPartitions(
  redis: RedisClient,
  keys: ClusterKeys,
  wanted = DEFAULT_PARTITIONS,
): Promise<number> {
  await redis.set(keys.partitions, String(wanted), 'NX');
  const n = Number(await redis.get(keys.partitions));
  return Number.isInteger(n) && n > 0 ? n : wanted;
}

/** Pushes live events, each to the stream of its (host, pid) partition, in arrival order. */
export async function submitEvents(
  redis: RedisClient,
  keys: ClusterKeys,
  events: AsyncIterable<DetectEvent>,
  opts: SubmitOptions,
): Promise<SubmitReport> {
  const partitions = await eventPartitions(redis, keys);
  let submitted = 0;
  let waitedMs = 0;
  let pending: Array<[number, string]> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const touched = new Set(pending.map(([p]) => p));
    for (const p of touched) waitedMs += await waitBelow(redis, keys.events(p), opts.maxBacklog, 0);
    await addAll(
      redis,
      pending.map(([p, line]) => [keys.events(p), line]),
      'event',
    );
    submitted += pending.length;
    opts.onSubmitted?.(pending.length);
    pending = [];
  };
  for await (const e of events) {
    pending.push([eventPartition(e.host, e.pid, partitions), formatEvent(e)]);
    if (pending.length >= opts.batch) await flush();
  }
  await flush();
  return { submitted, waitedMs };
}

/** Events of the given files (`-` = stdin), line by line with the detector's bounds; bad lines are reported and skipped. */
export async function* readEventFiles(
  paths: string[],
  onMalformed: (where: string, reason: string) => void,
): AsyncGenerator<DetectEvent> {
  for (const path of paths) {
    const input = path === '-' ? process.stdin : createReadStream(path);
    let ready: DetectEvent[] = [];
    const splitter = new EventLineSplitter(
      path,
      { onEvent: (e) => ready.push(e), onMalformed },
      DEFAULT_MAX_LINE_BYTES,
    );
    try {
      for await (const chunk of input) {
        splitter.push(chunk as Buffer);
        yield* ready;
        ready = [];
      }
    } catch (err) {
      throw cannotRead(err, path);
    }
    splitter.end();
    yield* ready;
  }
}
