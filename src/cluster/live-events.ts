// Live events in a scale-out worker: real-time detection (src/detect/) over the event partitions
// this worker leases (leases.ts).
//
// `submit --events` puts each event in the stream of partition FNV(host, pid) mod P, so all the
// events of one process are in one stream, in arrival order. A partition is consumed only by the
// worker holding its lease, through the partition's consumer group: first the entries left
// pending by a previous owner (XAUTOCLAIM moves them to this worker; they are older than any
// undelivered entry, so the order is kept), then new ones. Each partition has its own Detector
// (per-process state, bounded by --max-processes), so a partition moves between workers whole.
// A batch's alerts are written and its entries acknowledged by one script that first checks the
// lease is still ours (fencing: a worker that lost its lease while paused writes nothing, and
// the new owner handles the batch again). Delivery is at least once: events handled by a worker
// that died before acknowledging are handled again by the next owner, whose per-process state
// starts at the first event it sees.
//
// The detector scores with the cluster's current mixed model (the snapshot of version
// `model:current` in Redis, not this worker's unmixed local model); its per-n-gram weight cache
// is rebuilt when the version changes, and the per-process state starts afresh then (as
// src/serve/live-detector.ts does when the served model changes).
import type { Alert } from '../detect/alerts.js';
import { Detector, type StreamingRules } from '../detect/detector.js';
import { EventError, parseEvent } from '../detect/events.js';
import { featureSpecOf } from '../detect/feature-spec.js';
import { defaultPositive } from '../detect/policy.js';
import { modelFromBytes } from '../learn/model.js';
import type { Model } from '../learn/model-api.js';
import type { ClusterKeys } from './keys.js';
import { PartitionLeases } from './leases.js';
import { ensureGroup, entryFields, isNoGroup, type RedisClient } from './redis.js';
import { eventPartitions } from './submit.js';

export interface LiveEventsOptions {
  name: string;
  group: string;
  /** A partition lease lasts this long without renewal; a dead worker's partitions are taken over after it. */
  leaseTtlMs: number;
  /** Leases are renewed (and the model version checked) this often. */
  heartbeatMs: number;
  /** A worker whose heartbeat is older than this does not count for the fair share of partitions. */
  heartbeatTtlMs: number;
  /** Events read per partition per read. */
  readCount: number;
  /** Wait between reads when no owned partition had events. */
  idleMs: number;
  maxProcesses: number;
  maxNgramsPerProcess: number;
  threshold: number;
  suspiciousThreshold?: number;
  rules?: StreamingRules;
  /** Bound of each partition's alerts stream (approximate trimming of old alerts). */
  alertsMaxLen: number;
  log: (message: string) => void;
}

export interface LiveEventsStats {
  events: number;
  alerts: number;
  malformed: number;
  partitions: number;
  takeovers: number;
  /** The model version the detectors score with (0: none yet). */
  eventsVersion: number;
}

type Entry = [id: Buffer, fields: Buffer[] | null];

interface PartitionState {
  detector: Detector | undefined;
  /** Entries still pending from earlier deliveries are read first (id "0"), then new ones (">"). */
  history: boolean;
}

// KEYS: lease, events stream, alerts stream. ARGV: worker, group, alerts maxlen, model version,
// partition, number of entry ids, the ids, then the alerts (JSON).
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[6])
for i = 7 + n, #ARGV do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'alert', ARGV[i], 'worker', ARGV[1], 'version', ARGV[4], 'partition', ARGV[5])
end
for i = 7, 6 + n, 1000 do
  local j = math.min(i + 999, 6 + n)
  redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, i, j))
  redis.call('XDEL', KEYS[2], unpack(ARGV, i, j))
end
return 1
`;

export class LiveEvents {
  private leases!: PartitionLeases;
  private readonly states = new Map<number, PartitionState>();
  private model: { model: Model; version: number; scored?: ReturnType<typeof featureSpecOf> } | undefined;
  private lastTick = 0;
  private stopping = false;
  private warned = '';
  readonly stats: LiveEventsStats = {
    events: 0,
    alerts: 0,
    malformed: 0,
    partitions: 0,
    takeovers: 0,
    eventsVersion: 0,
  };

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly opts: LiveEventsOptions,
  ) {}

  async start(): Promise<void> {
    const partitions = await eventPartitions(this.redis, this.keys);
    this.leases = new PartitionLeases(
      this.redis,
      this.keys,
      this.opts.name,
      partitions,
      this.opts.leaseTtlMs,
    );
  }

  stop(): void {
    this.stopping = true;
  }

  /** The partitions held now. */
  owned(): number[] {
    return [...this.states.keys()].sort((a, b) => a - b);
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastTick >= this.opts.heartbeatMs) await this.tick();
        let handled = 0;
        for (const p of this.owned()) {
          if (this.stopping) break;
          handled += await this.consume(p);
        }
        if (handled === 0) await sleep(this.opts.idleMs);
      } catch (err) {
        this.opts.log(`worker ${this.opts.name}: events: ${(err as Error).message}; retrying`);
        await sleep(200);
      }
    }
    try {
      await this.leases.releaseAll();
    } catch {
      // the leases expire on their own
    }
  }

  /** Renews and rebalances the leases, and follows the model version. */
  private async tick(): Promise<void> {
    this.lastTick = Date.now();
    const { taken, lost } = await this.leases.tick(await this.liveWorkers());
    for (const p of lost) this.states.delete(p);
    for (const p of taken) {
      await ensureGroup(this.redis, this.keys.events(p), this.opts.group);
      await this.claimPending(p);
      this.states.set(p, { detector: this.newDetector(), history: true });
    }
    if (taken.length > 0 || lost.length > 0)
      this.opts.log(
        `worker ${this.opts.name}: event partitions [${this.owned().join(',')}] (took [${taken.join(',')}], gave up [${lost.join(',')}])`,
      );
    this.stats.partitions = this.states.size;
    await this.followModel();
  }

  private async liveWorkers(): Promise<number> {
    const all = await this.redis.hgetall(this.keys.workers);
    const now = Date.now();
    let n = 0;
    for (const value of Object.values(all)) {
      try {
        const ts = (JSON.parse(value) as { ts?: unknown }).ts;
        if (typeof ts === 'number' && now - ts <= this.opts.heartbeatTtlMs) n++;
      } catch {
        // an unreadable heartbeat is not a live worker
      }
    }
    return Math.max(1, n);
  }

  /** Moves every entry pending in partition p's group (a previous owner's) to this worker. */
  private async claimPending(p: number): Promise<void> {
    let cursor = '0-0';
    let claimed = 0;
    do {
      const res = (await this.redis.call(
        'XAUTOCLAIM',
        this.keys.events(p),
        this.opts.group,
        this.opts.name,
        0,
        cursor,
        'COUNT',
        1000,
        'JUSTID',
      )) as [string, string[]];
      cursor = res[0];
      claimed += res[1].length;
    } while (cursor !== '0-0');
    if (claimed > 0) {
      this.stats.takeovers++;
      this.opts.log(`worker ${this.opts.name}: partition ${p}: took over ${claimed} pending events`);
    }
  }

  private async followModel(): Promise<void> {
    const version = Number((await this.redis.get(this.keys.current)) ?? 0);
    if (version === 0 || version === this.model?.version) return;
    const bytes = await this.redis.getBuffer(this.keys.model(version));
    if (!bytes) return;
    const model = modelFromBytes(bytes, this.keys.model(version));
    let scored: ReturnType<typeof featureSpecOf> | undefined;
    if (model.labels().length >= 2) {
      try {
        scored = featureSpecOf(model);
      } catch (err) {
        this.warnOnce(`the model cannot score events: ${(err as Error).message}`);
      }
    }
    this.model = { model, version, scored };
    this.stats.eventsVersion = version;
    for (const state of this.states.values()) state.detector = this.newDetector();
  }

  /** A detector over the current model (undefined while there is nothing to detect with). */
  private newDetector(): Detector | undefined {
    const current = this.model;
    const scored = current?.scored ? { model: current.model, spec: current.scored.spec } : undefined;
    if (!scored && !this.opts.rules) return undefined;
    return new Detector(
      scored,
      {
        limits: {
          maxProcesses: this.opts.maxProcesses,
          maxNgramsPerUnit: this.opts.maxNgramsPerProcess,
          tree: false,
        },
        policy: {
          positive: defaultPositive(scored ? scored.model.labels() : []),
          threshold: this.opts.threshold,
          suspiciousThreshold: this.opts.suspiciousThreshold,
        },
        rules: this.opts.rules,
        collapseRepeats: current?.scored?.collapseRepeats,
      },
      (alert) => this.raised.push(alert),
    );
  }

  private raised: Alert[] = [];

  /** Reads, detects and commits one batch of partition p; returns the number of entries. */
  private async consume(p: number): Promise<number> {
    const state = this.states.get(p);
    if (!state?.detector) return 0;
    const detector = state.detector;
    let entries: Entry[];
    try {
      const res = (await this.redis.xreadgroupBuffer(
        'GROUP',
        this.opts.group,
        this.opts.name,
        'COUNT',
        this.opts.readCount,
        'STREAMS',
        this.keys.events(p),
        state.history ? '0' : '>',
      )) as Array<[Buffer, Entry[]]> | null;
      entries = res?.[0]?.[1] ?? [];
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await ensureGroup(this.redis, this.keys.events(p), this.opts.group);
      return 0;
    }
    if (entries.length === 0) {
      state.history = false;
      return 0;
    }
    this.raised = [];
    const ids: string[] = [];
    for (const [idBuf, flat] of entries) {
      const id = idBuf.toString();
      ids.push(id);
      const line = entryFields(flat).get('event');
      if (!line) {
        this.stats.malformed++;
        this.opts.log(
          `worker ${this.opts.name}: ${this.keys.events(p)} entry ${id} skipped: no "event" field`,
        );
        continue;
      }
      try {
        detector.handle(parseEvent(line.toString()));
        this.stats.events++;
      } catch (err) {
        if (!(err instanceof EventError)) throw err;
        this.stats.malformed++;
        this.opts.log(`worker ${this.opts.name}: ${this.keys.events(p)} entry ${id} skipped: ${err.message}`);
      }
    }
    const alerts = this.raised.map((a) => JSON.stringify(a));
    this.raised = [];
    const ok = await this.redis.eval(
      COMMIT,
      3,
      this.keys.eventLease(p),
      this.keys.events(p),
      this.keys.alerts(p),
      this.opts.name,
      this.opts.group,
      this.opts.alertsMaxLen,
      this.model?.version ?? 0,
      p,
      ids.length,
      ...ids,
      ...alerts,
    );
    if (ok !== 1) {
      // The lease expired and may be another worker's now: it handles these events again.
      this.states.delete(p);
      this.leases.owned.delete(p);
      this.opts.log(
        `worker ${this.opts.name}: lost the lease of partition ${p}; its events are left to the new owner`,
      );
      return entries.length;
    }
    this.stats.alerts += alerts.length;
    return entries.length;
  }

  private warnOnce(message: string): void {
    if (message === this.warned) return;
    this.warned = message;
    this.opts.log(`worker ${this.opts.name}: ${message}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
