// Per-process detector state, keyed by (host, pid), bounded.
//
// - A `ProcessState` is one live process: its identity, the last n−1 API ids (the n-gram window),
//   its rule-matcher state, and the `ScoreUnit` its calls count towards.
// - A `ScoreUnit` holds the n-gram counts and the running per-label scores. Normally each process
//   has its own; with `tree` attribution a child that appears while its parent is tracked shares
//   its parent's unit (the whole tree is scored as one sample; n-grams never cross processes,
//   as in the converter: each process keeps its own window).
// - Bounds: at most `maxProcesses` processes (the least recently active one is evicted when a new
//   one arrives: an intrusive doubly-linked list keeps the order in O(1) per event); at most
//   `maxNgramsPerUnit` distinct n-grams per unit (further new n-grams are not counted and the unit
//   is marked `truncated`: its score is then a lower-information approximation, and alerts say so).
// - An exit event frees the process at once.
// - API names are interned to small integer ids (at most MAX_API_IDS distinct names; later new
//   names all share the OVERFLOW id and an n-gram containing it is treated as unknown to the model).
// Host and pid come from the wire: states live in Maps (host → pid → state), never a plain object.

/** Largest number of distinct API names interned; ids are 1..MAX_API_IDS, OVERFLOW_ID beyond. */
export const MAX_API_IDS = 65534;
export const OVERFLOW_ID = 65535;

export class ApiInterner {
  private readonly ids = new Map<string, number>();
  /** names[id] = API name (index 0 unused). */
  readonly names: string[] = [''];
  overflowed = 0;

  id(api: string): number {
    const id = this.ids.get(api);
    if (id !== undefined) return id;
    if (this.names.length > MAX_API_IDS) {
      this.overflowed++;
      return OVERFLOW_ID;
    }
    const next = this.names.length;
    this.ids.set(api, next);
    this.names.push(api);
    return next;
  }

  name(id: number): string {
    return id === OVERFLOW_ID ? '<overflow>' : this.names[id];
  }
}

/**
 * Counts per small non-negative integer key (the scorer's n-gram slots): open addressing over two
 * Int32Arrays, linear probing, load ≤ 0.5. Far smaller and faster than a Map per process.
 */
export class SlotCounter {
  private keys = new Int32Array(16).fill(-1);
  private values = new Int32Array(16);
  size = 0;

  /** Adds 1 to `key`'s count; returns the count before (0 for a new key). */
  increment(key: number): number {
    let mask = this.keys.length - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = this.keys[i];
      if (k === key) return this.values[i]++;
      if (k === -1) break;
      i = (i + 1) & mask;
    }
    if ((this.size + 1) * 2 > this.keys.length) {
      this.grow();
      mask = this.keys.length - 1;
      i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (this.keys[i] !== -1) i = (i + 1) & mask;
    }
    this.keys[i] = key;
    this.values[i] = 1;
    this.size++;
    return 0;
  }

  get(key: number): number {
    const mask = this.keys.length - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = this.keys[i];
      if (k === key) return this.values[i];
      if (k === -1) return 0;
      i = (i + 1) & mask;
    }
  }

  *entries(): IterableIterator<[key: number, count: number]> {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== -1) yield [this.keys[i], this.values[i]];
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Int32Array(oldKeys.length * 2).fill(-1);
    this.values = new Int32Array(oldKeys.length * 2);
    const mask = this.keys.length - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const key = oldKeys[j];
      if (key === -1) continue;
      let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (this.keys[i] !== -1) i = (i + 1) & mask;
      this.keys[i] = key;
      this.values[i] = oldValues[j];
    }
  }
}

/** N-gram counts and running scores of one scored unit (a process, or a process tree). */
export class ScoreUnit {
  /** N-gram slot (scorer.ts) -> count (tf); only n-grams the model gives a weight are counted. */
  readonly counts = new SlotCounter();
  /** Running score per model label (Neumaier-compensated sums: sum + compensation). */
  readonly sums: Float64Array;
  readonly compensation: Float64Array;
  /** Calls attributed to this unit. */
  calls = 0;
  /** Smallest and largest timestamp seen (seconds), NaN before the first timestamp. */
  firstTs = Number.NaN;
  lastTs = Number.NaN;
  /** Events whose timestamp was earlier than one already seen for this unit. */
  outOfOrder = 0;
  /** True once the n-gram cap was hit. */
  truncated = false;
  /** Highest alert level already raised (policy.ts), and whether an allow rule matched. */
  alertLevel = 0;
  allowed = false;
  /** Calls whose API is on the high-risk list (early.ts), counted for alerts. */
  highRiskCalls = 0;
  /** Live processes pointing at this unit. */
  members = 0;

  constructor(
    readonly rootHost: string,
    readonly rootPid: number,
    labelCount: number,
  ) {
    this.sums = new Float64Array(labelCount);
    this.compensation = new Float64Array(labelCount);
  }

  /** Current score of label i. */
  score(i: number): number {
    return this.sums[i] + this.compensation[i];
  }

  /** Adds `delta * weights[offset + i]` to every label score i (Neumaier summation keeps long streams exact to ~1 ulp). */
  add(delta: number, weights: Float64Array, offset: number): void {
    const sums = this.sums;
    const comp = this.compensation;
    for (let i = 0; i < sums.length; i++) {
      const x = delta * weights[offset + i];
      const s = sums[i];
      const t = s + x;
      comp[i] += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
      sums[i] = t;
    }
  }

  /** Records an event time; returns seconds since the unit's first call (0 without timestamps). */
  noteTime(ts: number | undefined): void {
    if (ts === undefined) return;
    if (Number.isNaN(this.firstTs)) {
      this.firstTs = ts;
      this.lastTs = ts;
      return;
    }
    if (ts < this.lastTs) this.outOfOrder++;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
  }

  /** Seconds between the earliest and the latest timestamp seen (0 without timestamps). */
  seconds(): number {
    return Number.isNaN(this.firstTs) ? 0 : this.lastTs - this.firstTs;
  }
}

export class ProcessState {
  /** The last n−1 API ids, oldest first (0 = none yet). */
  readonly window: Uint16Array;
  /** Number of calls this process made (its own index for rule evidence). */
  calls = 0;
  /** API id of the previous call (0 before the first), for the `collapse` repeat policy. */
  lastId = 0;
  process?: string;
  ppid?: number;
  /** Rule-matcher state, created by the detector when rules are loaded. */
  ruleState: unknown;
  // Intrusive least-recently-active list (head = most recent).
  prev: ProcessState | null = null;
  next: ProcessState | null = null;

  constructor(
    readonly host: string,
    readonly pid: number,
    readonly unit: ScoreUnit,
    windowLength: number,
  ) {
    this.window = new Uint16Array(windowLength);
  }
}

export interface StateLimits {
  maxProcesses: number;
  maxNgramsPerUnit: number;
  /** Attribute a child's calls to its (tracked) parent's tree. */
  tree: boolean;
}

export class ProcessTable {
  private readonly byHost = new Map<string, Map<number, ProcessState>>();
  size = 0;
  private head: ProcessState | null = null;
  private tail: ProcessState | null = null;
  evicted = 0;
  exited = 0;
  created = 0;

  constructor(
    readonly limits: StateLimits,
    private readonly labelCount: number,
    private readonly windowLength: number,
    /** Told about each process state dropped by eviction (not by exit). */
    private readonly onEvict?: (state: ProcessState) => void,
  ) {}

  get(host: string, pid: number): ProcessState | undefined {
    return this.byHost.get(host)?.get(pid);
  }

  /** The state of (host, pid), created on first sight; marks it most recently active. */
  touch(host: string, pid: number, ppid: number | undefined): ProcessState {
    let pids = this.byHost.get(host);
    if (!pids) {
      pids = new Map();
      this.byHost.set(host, pids);
    }
    let state = pids.get(pid);
    if (state) {
      if (state !== this.head) {
        this.unlink(state);
        this.pushHead(state);
      }
      return state;
    }
    let unit: ScoreUnit | undefined;
    if (this.limits.tree && ppid !== undefined) unit = pids.get(ppid)?.unit;
    unit ??= new ScoreUnit(host, pid, this.labelCount);
    unit.members++;
    state = new ProcessState(host, pid, unit, this.windowLength);
    state.ppid = ppid;
    pids.set(pid, state);
    this.size++;
    this.pushHead(state);
    this.created++;
    while (this.size > this.limits.maxProcesses && this.tail) {
      const victim = this.tail;
      this.remove(victim);
      this.evicted++;
      this.onEvict?.(victim);
    }
    return state;
  }

  /** Frees a process (exit event); returns whether it was tracked. */
  exit(host: string, pid: number): ProcessState | undefined {
    const state = this.get(host, pid);
    if (!state) return undefined;
    this.remove(state);
    this.exited++;
    return state;
  }

  /** Processes from most to least recently active. */
  *list(): IterableIterator<ProcessState> {
    for (let s = this.head; s; s = s.next) yield s;
  }

  private remove(state: ProcessState): void {
    this.unlink(state);
    const pids = this.byHost.get(state.host)!;
    pids.delete(state.pid);
    if (pids.size === 0) this.byHost.delete(state.host);
    this.size--;
    state.unit.members--;
  }

  private pushHead(state: ProcessState): void {
    state.prev = null;
    state.next = this.head;
    if (this.head) this.head.prev = state;
    this.head = state;
    if (!this.tail) this.tail = state;
  }

  private unlink(state: ProcessState): void {
    if (state.prev) state.prev.next = state.next;
    else this.head = state.next;
    if (state.next) state.next.prev = state.prev;
    else this.tail = state.prev;
    state.prev = null;
    state.next = null;
  }
}
