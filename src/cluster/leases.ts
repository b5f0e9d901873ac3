// Event-partition leases: a worker owns partition i while the key `{<name>:p<i>}:lease` holds its
// name. A lease is taken with SET NX PX, renewed by the owner's heartbeat (PEXPIRE only if still
// the owner) and released by check-and-delete, so a dead worker's partitions become free when its
// leases expire and are taken over by the live workers. Each worker aims at its fair share,
// ceil(partitions / live workers), and gives back partitions above it, so the partitions spread
// again when a worker joins.
import type { ClusterKeys } from './keys.js';
import type { RedisClient } from './redis.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaseChanges {
  taken: number[];
  lost: number[];
}

export class PartitionLeases {
  /** The partitions this worker holds, ascending. */
  readonly owned = new Set<number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly worker: string,
    private readonly partitions: number,
    private readonly ttlMs: number,
  ) {}

  /**
   * Renews the leases held, then takes free partitions up to the fair share for `liveWorkers`
   * (starting at a place derived from the worker's name, so workers do not all race for
   * partition 0) or releases the ones above it. Returns what changed.
   */
  async tick(liveWorkers: number): Promise<LeaseChanges> {
    const lost: number[] = [];
    for (const p of [...this.owned]) {
      const ok = await this.redis.eval(RENEW, 1, this.keys.eventLease(p), this.worker, this.ttlMs);
      if (ok !== 1) {
        this.owned.delete(p);
        lost.push(p);
      }
    }
    const share = Math.ceil(this.partitions / Math.max(1, liveWorkers));
    const taken: number[] = [];
    const start = nameOffset(this.worker, this.partitions);
    for (let k = 0; k < this.partitions && this.owned.size < share; k++) {
      const p = (start + k) % this.partitions;
      if (this.owned.has(p)) continue;
      const ok = await this.redis.set(this.keys.eventLease(p), this.worker, 'PX', this.ttlMs, 'NX');
      if (ok === 'OK') {
        this.owned.add(p);
        taken.push(p);
      }
    }
    const surplus = [...this.owned].sort((a, b) => b - a);
    while (this.owned.size > share) {
      const p = surplus.shift() as number;
      await this.release(p);
      lost.push(p);
    }
    return { taken, lost };
  }

  /** Gives partition p back (only if still held). */
  async release(p: number): Promise<void> {
    this.owned.delete(p);
    await this.redis.eval(RELEASE, 1, this.keys.eventLease(p), this.worker);
  }

  async releaseAll(): Promise<void> {
    for (const p of [...this.owned]) await this.release(p);
  }
}

function nameOffset(name: string, n: number): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) >>> 0;
  return h % n;
}
