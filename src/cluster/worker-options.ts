// A worker's settings and their defaults (kept apart from worker.ts so the CLI can describe
// them without loading the model code).
import { hostname } from 'node:os';
import { DEFAULT_DEDUPE_WINDOW_S } from './dedupe.js';
import type { LiveEventsOptions } from './live-events.js';
import type { MixWeighting } from './mix.js';

export interface WorkerOptions {
  name: string;
  group: string;
  /** Classifier config JSON, used when the cluster has none yet (the first worker sets it). */
  configJson: string;
  weighting: MixWeighting;
  mixEvery: number;
  mixIntervalMs: number;
  claimIdleMs: number;
  /** Entries read per XREADGROUP. */
  readCount: number;
  blockMs: number;
  gatherMs: number;
  lockTtlMs: number;
  heartbeatMs: number;
  /** Results stream bound (approximate trimming of old results; work is never trimmed). */
  resultsMaxLen: number;
  /** Seconds a trained id is remembered (0 = forever), when this worker is the cluster's first. */
  dedupeWindowS: number;
  log: (message: string) => void;
}

export const DEFAULT_WORKER_OPTIONS: Omit<WorkerOptions, 'name' | 'configJson' | 'log'> = {
  group: 'workers',
  weighting: 'count',
  mixEvery: 512,
  mixIntervalMs: 16_000,
  claimIdleMs: 60_000,
  readCount: 64,
  blockMs: 250,
  gatherMs: 5_000,
  lockTtlMs: 30_000,
  heartbeatMs: 1_000,
  resultsMaxLen: 1_000_000,
  dedupeWindowS: DEFAULT_DEDUPE_WINDOW_S,
};

export function defaultWorkerName(): string {
  return `${hostname()}-${process.pid}`;
}

export const DEFAULT_LIVE_OPTIONS: Omit<LiveEventsOptions, 'name' | 'group' | 'log' | 'threshold'> = {
  leaseTtlMs: 10_000,
  heartbeatMs: 1_000,
  heartbeatTtlMs: 3_000,
  readCount: 256,
  idleMs: 20,
  maxProcesses: 100_000,
  maxNgramsPerProcess: 100_000,
  alertsMaxLen: 1_000_000,
};
