// Per-process detector state, keyed by (host, pid), bounded.
//
// - A `ProcessState` is one live process: its identity, the last n−1 API ids (the n-gram window),
//   its rule-matcher state, and the `ScoreUnit` its calls count towards.
// - A `ScoreUnit` holds the n-gram counts and the running per-label scores. Normally each process
//   has its own; with `tree` attribution a child that appears while its parent is tracked shares
//   its parent's unit (the whole tree is scored as one sample; n-grams never cross processes,
//   as in the converter: each process keeps its own window).
// - Bounds: at most `maxProcesses` processes (the least recently active one is evicted when a new
//   one arrives); at most
//   `maxNgramsPerUnit` distinct n-grams per unit (further new n-grams are not counted and the unit
//   is marked `truncated`: its score is then a lower-information approximation, and alerts say so).
// - An exit event frees the process at once.
// - Recency: every touch stamps the state with a counter. Until the table first fills, that is all
//   (no other process's memory is touched, which matters at a million events a second over
//   thousands of processes); the first eviction links the states, sorted by stamp, into an
//   intrusive doubly-linked list (most recent first, O(n log n) once), kept in order in O(1) per
//   event from then on. Either way the victim is exactly the least recently active process.
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
 * Counts per small non-negative integer key (the scorer's n-gram slots): open addressing over one
 * Int32Array of (key, count) pairs — a probe touches one cache line, a resize allocates one array —
 * linear probing, load ≤ 0.5. Far smaller and faster than a Map per process.
 */
export class SlotCounter {
  /** table[2i] = key (−1 = empty), table[2i + 1] = its count; 16 pairs to start. */
  private table = new Int32Array(32).fill(-1);
  size = 0;

  /** Adds 1 to `key`'s count; returns the count before (0 for a new key). */
  increment(key: number): number {
    let t = this.table;
    let mask = (t.length >> 1) - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = t[2 * i];
      if (k === key) return t[2 * i + 1]++;
      if (k === -1) break;
      i = (i + 1) & mask;
    }
    if ((this.size + 1) * 4 > t.length) {
      this.grow();
      t = this.table;
      mask = (t.length >> 1) - 1;
      i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (t[2 * i] !== -1) i = (i + 1) & mask;
    }
    t[2 * i] = key;
    t[2 * i + 1] = 1;
    this.size++;
    return 0;
  }

  get(key: number): number {
    const t = this.table;
    const mask = (t.length >> 1) - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = t[2 * i];
      if (k === key) return t[2 * i + 1];
      if (k === -1) return 0;
      i = (i + 1) & mask;
    }
  }

  *entries(): IterableIterator<[key: number, count: number]> {
    const t = this.table;
    for (let i = 0; i < t.length; i += 2) if (t[i] !== -1) yield [t[i], t[i + 1]];
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  private grow(): void {
    const old = this.table;
    const t = new Int32Array(old.length * 2).fill(-1);
    const mask = (t.length >> 1) - 1;
    for (let j = 0; j < old.length; j += 2) {
      const key = old[j];
      if (key === -1) continue;
      let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
      while (t[2 * i] !== -1) i = (i + 1) & mask;
      t[2 * i] = key;
      t[2 * i + 1] = old[j + 1];
    }
    this.table = t;
  }
}

/** N-gram counts and running scores of one scored unit (a process, or a process tree). */
export class ScoreUnit {
  /** N-gram slot (scorer.ts) -> count (tf); only n-grams the model gives a weight are counted. */
  readonly counts = new SlotCounter();
  /**
   * Running score per model label, Neumaier-compensated: the sum of label i at [i], its
   * compensation at [labelCount + i] (one array: one object, one cache line for two labels).
   */
  readonly running: Float64Array;
  private readonly labelCount: number;
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
    this.labelCount = labelCount;
    this.running = new Float64Array(2 * labelCount);
  }

  /** Current score of label i. */
  score(i: number): number {
    return this.running[i] + this.running[this.labelCount + i];
  }

  /** Adds `delta * weights[offset + i]` to every label score i (Neumaier summation keeps long streams exact to ~1 ulp). */
  add(delta: number, weights: Float64Array, offset: number): void {
    const r = this.running;
    const L = this.labelCount;
    for (let i = 0; i < L; i++) {
      const x = delta * weights[offset + i];
      const s = r[i];
      const t = s + x;
      r[L + i] += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
      r[i] = t;
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
  /** The table's touch counter at this process's last touch (higher = more recent). */
  active = 0;
  // Intrusive least-recently-active list (head = most recent), once the table keeps one.
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
  /** Touches so far: the recency stamp of the latest. */
  private ticks = 0;
  /** Whether the recency list (head, tail, prev, next) is kept: from the first eviction on. */
  private ordered = false;
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
      state.active = ++this.ticks;
      if (this.ordered && state !== this.head) {
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
    state.active = ++this.ticks;
    pids.set(pid, state);
    this.size++;
    if (this.ordered) this.pushHead(state);
    this.created++;
    if (this.size > this.limits.maxProcesses && !this.ordered) this.order();
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
    if (this.ordered) for (let s = this.head; s; s = s.next) yield s;
    else yield* this.byRecency();
  }

  /** Every state, most recently active first. */
  private byRecency(): ProcessState[] {
    const all: ProcessState[] = [];
    for (const pids of this.byHost.values()) for (const s of pids.values()) all.push(s);
    return all.sort((a, b) => b.active - a.active);
  }

  /** Starts keeping the recency list: links every state in order. */
  private order(): void {
    for (const s of this.byRecency()) {
      s.prev = this.tail;
      s.next = null;
      if (this.tail) this.tail.next = s;
      else this.head = s;
      this.tail = s;
    }
    this.ordered = true;
  }

  private remove(state: ProcessState): void {
    if (this.ordered) this.unlink(state);
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
