// Replay: stored traces, sandbox reports or the CSV data set as a live `events` stream.
//
// - Traces are replayed one after another. Within a trace the calls of all its processes are
//   merged by timestamp, each process keeping its own report order (equal times: the process
//   listed first goes first). `ret` and `status` of a call are kept (events extension).
// - Every process gets a fresh synthetic pid (from 1000 up, never reused in one replay), so
//   processes of different traces never collide; `ppid` is mapped the same way when the parent is
//   in the same trace (else left out). `host` is `--host` (default `replay`).
// - Timestamps: the replay clock starts at the wall-clock time of the start. A trace with call
//   times is shifted so its earliest call is at the clock; calls keep their relative times. A
//   call without a time keeps the previous call's time; in a trace without any times (the CSV)
//   call i of the trace is at clock + i·SYNTHETIC_STEP_S (1 ms per call). After each trace the
//   clock moves past its last call. Times are rounded to microseconds.
// - `process` is the process name, or the sample id when the input has none (the CSV), so alerts
//   name the sample.
// - After the last call of each process an exit event (`{"host","pid","event":"exit","ts"}`)
//   follows, which frees the detector's state for it.
// - Speed: `fast` (as fast as the output takes it), `real` (timestamps are honoured), or a factor
//   (`10` = ten times real speed).
import type { Trace } from '../core/trace.js';
import type { CallEvent, DetectEvent } from './events.js';

export const SYNTHETIC_STEP_S = 0.001;

export interface ReplayClock {
  /** Seconds: the time the next trace starts at. */
  now: number;
  /** The next synthetic pid. */
  nextPid: number;
}

export function newReplayClock(start = Date.now() / 1000): ReplayClock {
  return { now: start, nextPid: 1000 };
}

/** Rounds seconds to microseconds (keeps the JSON short and the sums exact enough). */
function micro(ts: number): number {
  return Math.round(ts * 1e6) / 1e6;
}

/**
 * The replay order of one trace (see the header) without building events: entry k is call
 * `call[k]` of process `process[k]` (its index in `trace.processes`), or that process's exit when
 * `call[k]` is −1, at `ts[k]`. `last` is the latest call time.
 */
export interface ReplayOrder {
  process: Int32Array;
  call: Int32Array;
  ts: Float64Array;
  last: number;
}

/** The replay order of `trace` starting at `now` (seconds). */
export function replayOrder(trace: Trace, now: number): ReplayOrder {
  let minTs = Number.POSITIVE_INFINITY;
  let entries = 0;
  for (const p of trace.processes) {
    if (p.calls.length > 0) entries += p.calls.length + 1;
    for (const c of p.calls) if (c.ts !== undefined && c.ts < minTs) minTs = c.ts;
  }
  const hasTimes = Number.isFinite(minTs);
  // Each process's own list first (report order kept, exit last), ...
  const starts: number[] = [];
  const ends: number[] = [];
  const listProcess = new Int32Array(entries);
  const listCall = new Int32Array(entries);
  const listTs = new Float64Array(entries);
  let synthetic = 0;
  let last = now;
  let at = 0;
  trace.processes.forEach((p, i) => {
    starts.push(at);
    let ts = now;
    for (let j = 0; j < p.calls.length; j++) {
      const c = p.calls[j];
      if (hasTimes && c.ts !== undefined) ts = micro(now + (c.ts - minTs));
      else if (!hasTimes) ts = micro(now + ++synthetic * SYNTHETIC_STEP_S);
      listProcess[at] = i;
      listCall[at] = j;
      listTs[at++] = ts;
      if (ts > last) last = ts;
    }
    if (p.calls.length > 0) {
      listProcess[at] = i;
      listCall[at] = -1;
      listTs[at++] = ts;
    }
    ends.push(at);
  });
  if (trace.processes.length <= 1) return { process: listProcess, call: listCall, ts: listTs, last };
  // ... then merged by time: at each step the process whose next entry is earliest goes first
  // (ties: the earlier-listed process), so every process keeps its own call order even when its
  // timestamps are not monotone (e.g. several threads).
  const order: ReplayOrder = {
    process: new Int32Array(entries),
    call: new Int32Array(entries),
    ts: new Float64Array(entries),
    last,
  };
  const next = [...starts];
  for (let k = 0; k < entries; k++) {
    let best = -1;
    for (let i = 0; i < next.length; i++) {
      if (next[i] < ends[i] && (best < 0 || listTs[next[i]] < listTs[next[best]])) best = i;
    }
    const from = next[best]++;
    order.process[k] = listProcess[from];
    order.call[k] = listCall[from];
    order.ts[k] = listTs[from];
  }
  return order;
}

/** The events of one trace, in replay order; advances the clock. */
export function traceEvents(trace: Trace, host: string, clock: ReplayClock): DetectEvent[] {
  const pidMap = new Map<number, number>();
  for (const p of trace.processes) if (!pidMap.has(p.pid)) pidMap.set(p.pid, clock.nextPid++);
  // A pid listed twice in one trace (pid reuse) gets a fresh pid for its second life.
  const pids: number[] = [];
  const used = new Set<number>();
  for (const p of trace.processes) {
    let pid = pidMap.get(p.pid) as number;
    if (used.has(pid)) pid = clock.nextPid++;
    used.add(pid);
    pids.push(pid);
  }
  const order = replayOrder(trace, clock.now);
  const out: DetectEvent[] = [];
  for (let k = 0; k < order.call.length; k++) {
    const i = order.process[k];
    const p = trace.processes[i];
    const pid = pids[i];
    const ts = order.ts[k];
    const j = order.call[k];
    if (j < 0) {
      out.push({ kind: 'exit', host, pid, ts });
      continue;
    }
    const c = p.calls[j];
    const event: CallEvent = {
      kind: 'call',
      host,
      pid,
      ppid: p.ppid !== undefined ? pidMap.get(p.ppid) : undefined,
      // Without a process name (the CSV) the sample id names the process, so alerts name the sample.
      process: p.name ?? trace.id,
      api: c.api,
      args: c.args,
      ts,
      ret: c.ret,
      status: c.status,
    };
    out.push(event);
  }
  clock.now = micro(order.last + SYNTHETIC_STEP_S);
  return out;
}

export type ReplaySpeed = { kind: 'fast' } | { kind: 'factor'; factor: number };

export function parseSpeed(text: string): ReplaySpeed | undefined {
  if (text === 'fast') return { kind: 'fast' };
  if (text === 'real') return { kind: 'factor', factor: 1 };
  const f = Number(text);
  return Number.isFinite(f) && f > 0 ? { kind: 'factor', factor: f } : undefined;
}
