// A scale-out worker: one consumer of the reports stream's consumer group.
//
// For every entry (XREADGROUP, or XAUTOCLAIM of entries idle longer than the claim timeout,
// i.e. held by a dead or stuck worker): decode the trace, classify it with the local model and
// write the result to the results stream. Then
// - unlabelled (classify only), bad, or already-trained entries: the result and the XACK go in
//   one MULTI (acknowledged only with the result written); already trained means within the
//   cluster's dedupe window (dedupe.ts), which the first worker sets;
// - labelled entries: train the local model and keep the entry in the current batch. The entry
//   stays pending until a mix round folds this worker's diff: the round's commit script adds
//   the analysis to the trained ids and XACKs the entry atomically with the new model version
//   (see mixer.ts for why that makes training exactly-once in effect). Until then a crash
//   loses nothing: the entry is claimed by another worker after the claim timeout.
//
// MIX (jubatus-reference.md §4.3): after `mixEvery` trained samples, or `mixIntervalMs` with
// at least one, the worker requests a round; every worker that sees the request publishes its
// contribution for its base version and waits (no training meanwhile, so its local diff is
// exactly what it published) until the version pointer moves on; whoever gets the lock runs
// the round (mixer.ts). A worker then adopts version v+1: applies the mixed diff when it was at
// v (its local diff is replaced by the cluster mean), or loads the full model when further
// behind. Redis outages are ridden out: the client reconnects and the loop carries on.
import { createModel, modelFromBytes, type OnlineModel } from '../learn/model.js';
import { analysisId, decodeMixed, decodeTrace, encodeContribution } from './codec.js';
import { formatWindow, joinDedupeWindow, trainedFlags } from './dedupe.js';
import type { ClusterKeys } from './keys.js';
import type { MixWeighting } from './mix.js';
import { type MixReport, runMixRound } from './mixer.js';
import { ensureGroup, entryFields, isNoGroup, type RedisClient, releaseLock, tryLock } from './redis.js';
import type { WorkerOptions } from './worker-options.js';

export interface WorkerStats {
  classified: number;
  trained: number;
  duplicates: number;
  bad: number;
  mixes: number;
  adopted: number;
}

type Entry = [id: Buffer, fields: Buffer[] | null];

export class Worker {
  private model!: OnlineModel;
  private configJson = '';
  private batchEntries = new Set<string>();
  private batchAnalyses = new Set<string>();
  private lastMix = Date.now();
  private lastHeartbeat = 0;
  private lastClaim = 0;
  private claimCursor = '0-0';
  private stopping = false;
  readonly stats: WorkerStats = { classified: 0, trained: 0, duplicates: 0, bad: 0, mixes: 0, adopted: 0 };
  readonly mixReports: MixReport[] = [];
  /** Extra figures for the heartbeat (the live-events consumer's). */
  heartbeatExtra?: () => Record<string, number>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly opts: WorkerOptions,
  ) {}

  get version(): number {
    return this.model.version;
  }

  /** Joins the cluster: config (set once, cluster-wide), consumer group, current model. */
  async start(): Promise<void> {
    await this.redis.set(this.keys.config, this.opts.configJson, 'NX');
    await this.redis.set(this.keys.mixOptions, JSON.stringify({ weighting: this.opts.weighting }), 'NX');
    this.configJson = (await this.redis.get(this.keys.config)) ?? this.opts.configJson;
    await joinDedupeWindow(this.redis, this.keys, this.opts.dedupeWindowS, (w) =>
      this.opts.log(
        `worker ${this.opts.name}: the cluster's dedupe window is ${formatWindow(w)}, set by its first worker; --dedupe-window ${formatWindow(this.opts.dedupeWindowS)} ignored`,
      ),
    );
    await ensureGroup(this.redis, this.keys.reports, this.opts.group);
    this.model = createModel(this.configJson);
    await this.adopt();
    await this.heartbeat(true);
  }

  /** Asks the loop to end after the current step (and one last mix of what it trained). */
  stop(): void {
    this.stopping = true;
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (err) {
        if (isNoGroup(err)) {
          this.opts.log(`worker ${this.opts.name}: consumer group missing, creating it again`);
          await ensureGroup(this.redis, this.keys.reports, this.opts.group);
        } else {
          this.opts.log(`worker ${this.opts.name}: ${(err as Error).message}; retrying`);
          await sleep(200);
        }
      }
    }
    try {
      if (this.batchEntries.size > 0) await this.mixRound(true);
    } catch (err) {
      this.opts.log(
        `worker ${this.opts.name}: last mix failed (${(err as Error).message}); its samples will be claimed by another worker`,
      );
    }
    await this.redis.hdel(this.keys.workers, this.opts.name);
  }

  private async step(): Promise<void> {
    await this.heartbeat();
    const [current, request] = await Promise.all([
      this.redis.get(this.keys.current),
      this.redis.get(this.keys.mixRequest),
    ]);
    const cur = Number(current ?? 0);
    if (cur > this.model.version) {
      await this.adopt();
      return;
    }
    const due =
      this.batchEntries.size >= this.opts.mixEvery ||
      (this.batchEntries.size > 0 && Date.now() - this.lastMix >= this.opts.mixIntervalMs);
    if (due || (request !== null && Number(request) === this.model.version)) {
      await this.mixRound(due);
      return;
    }
    const entries = await this.read();
    if (entries.length > 0) await this.process(entries);
  }

  private async read(): Promise<Entry[]> {
    if (Date.now() - this.lastClaim >= Math.min(this.opts.claimIdleMs / 2, 5_000)) {
      this.lastClaim = Date.now();
      const claimed = (await this.redis.callBuffer(
        'XAUTOCLAIM',
        this.keys.reports,
        this.opts.group,
        this.opts.name,
        this.opts.claimIdleMs,
        this.claimCursor,
        'COUNT',
        this.opts.readCount,
      )) as [Buffer, Entry[]];
      // XAUTOCLAIM scans a bounded stretch of the pending list per call: go on from where it stopped.
      this.claimCursor = claimed[0].toString();
      const live = claimed[1].filter((e) => e[1] !== null && !this.batchEntries.has(e[0].toString()));
      if (live.length > 0) {
        this.opts.log(
          `worker ${this.opts.name}: claimed ${live.length} entries idle > ${this.opts.claimIdleMs} ms`,
        );
        return live;
      }
    }
    const res = (await this.redis.xreadgroupBuffer(
      'GROUP',
      this.opts.group,
      this.opts.name,
      'COUNT',
      this.opts.readCount,
      'BLOCK',
      this.opts.blockMs,
      'STREAMS',
      this.keys.reports,
      '>',
    )) as Array<[Buffer, Entry[]]> | null;
    return res?.[0]?.[1] ?? [];
  }

  private async process(entries: Entry[]): Promise<void> {
    const decoded = entries.map(([idBuf, flat]) => {
      const entryId = idBuf.toString();
      try {
        const bytes = entryFields(flat).get('trace');
        if (!bytes) throw new Error('entry has no "trace" field');
        return { entryId, trace: decodeTrace(bytes) };
      } catch (err) {
        return { entryId, error: (err as Error).message };
      }
    });
    const labelled = decoded.flatMap((d) => (d.trace?.label ? [analysisId(d.trace)] : []));
    const trained = new Set<string>();
    const flags = await trainedFlags(this.redis, this.keys, labelled);
    flags.forEach((f, i) => {
      if (f) trained.add(labelled[i]);
    });
    const tx = this.redis.multi();
    const ack: string[] = [];
    for (const d of decoded) {
      const result: Array<string | number> = [
        'entry',
        d.entryId,
        'worker',
        this.opts.name,
        'version',
        this.model.version,
      ];
      if (!d.trace) {
        this.stats.bad++;
        this.opts.log(`worker ${this.opts.name}: entry ${d.entryId} skipped: ${d.error}`);
        tx.xadd(
          this.keys.results,
          'MAXLEN',
          '~',
          this.opts.resultsMaxLen,
          '*',
          ...result,
          'error',
          d.error ?? '',
        );
        ack.push(d.entryId);
        continue;
      }
      const trace = d.trace;
      const cls = this.model.classify(trace);
      this.stats.classified++;
      const aid = analysisId(trace);
      result.push('id', trace.id, 'analysis', aid, 'predicted', cls.predicted ?? '');
      result.push('scores', JSON.stringify([...cls.scores]), 'empty', cls.empty ? 1 : 0);
      const label = trace.label;
      if (label && !trained.has(aid) && !this.batchAnalyses.has(aid)) {
        this.model.train(trace, label);
        this.stats.trained++;
        this.batchEntries.add(d.entryId);
        this.batchAnalyses.add(aid);
        result.push('label', label, 'trained', 1);
      } else {
        if (label) {
          this.stats.duplicates++;
          tx.hincrby(this.keys.counters, 'duplicates', 1);
        }
        ack.push(d.entryId);
      }
      tx.xadd(this.keys.results, 'MAXLEN', '~', this.opts.resultsMaxLen, '*', ...result);
    }
    if (ack.length > 0) {
      tx.xack(this.keys.reports, this.opts.group, ...ack);
      tx.xdel(this.keys.reports, ...ack);
    }
    tx.hincrby(this.keys.counters, 'classified', decoded.length);
    await tx.exec();
  }

  /** Publishes this worker's contribution for its version, then runs or waits for the round. */
  private async mixRound(request: boolean): Promise<void> {
    const v = this.model.version;
    if (request)
      await this.redis.set(this.keys.mixRequest, String(v), 'PX', this.opts.lockTtlMs + this.opts.gatherMs);
    const contribution = encodeContribution({
      worker: this.opts.name,
      diff: this.model.diff(),
      entries: [...this.batchEntries],
      analyses: [...this.batchAnalyses],
    });
    await this.redis.hset(this.keys.diffs(v), this.opts.name, Buffer.from(contribution));
    await this.redis.pexpire(this.keys.diffs(v), 3_600_000);
    for (;;) {
      await this.heartbeat();
      const cur = Number((await this.redis.get(this.keys.current)) ?? 0);
      if (cur > v) break;
      const token = await tryLock(this.redis, this.keys.mixLock, this.opts.lockTtlMs);
      if (token) {
        try {
          const report = await runMixRound(
            this.redis,
            this.keys,
            this.opts.group,
            v,
            token,
            this.configJson,
            {
              weighting: await this.weighting(),
              gatherMs: this.opts.gatherMs,
              heartbeatTtlMs: 3 * this.opts.heartbeatMs,
            },
            this.opts.log,
          );
          if (report.committed) {
            this.stats.mixes++;
            this.mixReports.push(report);
            if (this.mixReports.length > 100) this.mixReports.shift();
            this.opts.log(
              `worker ${this.opts.name}: mixed v${report.version} from ${report.contributions} workers, ${report.analyses} samples, model ${report.modelBytes} B, ${report.gatherMs + report.buildMs + report.commitMs} ms`,
            );
          }
        } finally {
          await releaseLock(this.redis, this.keys.mixLock, token);
        }
        break;
      }
      await sleep(25);
    }
    await this.adopt();
  }

  private async weighting(): Promise<MixWeighting> {
    const raw = await this.redis.get(this.keys.mixOptions);
    try {
      return (JSON.parse(raw ?? '{}') as { weighting?: string }).weighting === 'updates'
        ? 'updates'
        : 'count';
    } catch {
      return 'count';
    }
  }

  /** Moves to the current model version (no-op when already there). */
  private async adopt(): Promise<void> {
    const cur = Number((await this.redis.get(this.keys.current)) ?? 0);
    if (cur === this.model.version) return;
    let adopted = false;
    if (cur === this.model.version + 1) {
      const bytes = await this.redis.getBuffer(this.keys.mixed(cur));
      if (bytes) {
        const mixed = decodeMixed(bytes);
        this.model.applyMixed(mixed.diff);
        const labels = this.model.labels();
        adopted =
          this.model.version === cur &&
          labels.length === mixed.labels.length &&
          labels.every((l, i) => l === mixed.labels[i]);
      }
    }
    if (!adopted) {
      const snapshot = await this.redis.getBuffer(this.keys.model(cur));
      if (!snapshot) throw new Error(`model version ${cur} is not in Redis yet`);
      this.model = modelFromBytes(snapshot, this.keys.model(cur));
    }
    // The batch was either mixed (its entries acknowledged by the round) or left out (its entries
    // stay pending and are claimed again); either way the local model no longer holds it.
    this.batchEntries.clear();
    this.batchAnalyses.clear();
    this.lastMix = Date.now();
    this.stats.adopted++;
  }

  private async heartbeat(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastHeartbeat < this.opts.heartbeatMs) return;
    this.lastHeartbeat = now;
    await this.redis.hset(
      this.keys.workers,
      this.opts.name,
      JSON.stringify({
        ts: now,
        pid: process.pid,
        version: this.model.version,
        batch: this.batchEntries.size,
        ...this.stats,
        ...this.heartbeatExtra?.(),
      }),
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
