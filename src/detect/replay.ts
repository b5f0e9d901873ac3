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

interface Timed {
  ts: number;
  event: DetectEvent;
}

/** The events of one trace, in replay order; advances the clock. */
export function traceEvents(trace: Trace, host: string, clock: ReplayClock): DetectEvent[] {
  const pidMap = new Map<number, number>();
  for (const p of trace.processes) if (!pidMap.has(p.pid)) pidMap.set(p.pid, clock.nextPid++);
  let minTs = Number.POSITIVE_INFINITY;
  for (const p of trace.processes)
    for (const c of p.calls) if (c.ts !== undefined && c.ts < minTs) minTs = c.ts;
  const hasTimes = Number.isFinite(minTs);
  // One list per process (report order kept), then merged by time: at each step the process
  // whose next call is earliest goes first (ties: the earlier-listed process), so every process
  // keeps its own call order even when its timestamps are not monotone (e.g. several threads).
  const lists: Timed[][] = [];
  let synthetic = 0;
  let last = clock.now;
  const used = new Set<number>();
  for (const p of trace.processes) {
    // A pid listed twice in one trace (pid reuse) gets a fresh pid for its second life.
    let pid = pidMap.get(p.pid)!;
    if (used.has(pid)) pid = clock.nextPid++;
    used.add(pid);
    const ppid = p.ppid !== undefined ? pidMap.get(p.ppid) : undefined;
    // Without a process name (the CSV) the sample id names the process, so alerts name the sample.
    const process = p.name ?? trace.id;
    const list: Timed[] = [];
    let ts = clock.now;
    for (const c of p.calls) {
      if (hasTimes && c.ts !== undefined) ts = micro(clock.now + (c.ts - minTs));
      else if (!hasTimes) ts = micro(clock.now + ++synthetic * SYNTHETIC_STEP_S);
      const event: CallEvent = {
        kind: 'call',
        host,
        pid,
        ppid,
        process,
        api: c.api,
        args: c.args,
        ts,
        ret: c.ret,
        status: c.status,
      };
      list.push({ ts, event });
      if (ts > last) last = ts;
    }
    if (p.calls.length > 0) list.push({ ts, event: { kind: 'exit', host, pid, ts } });
    lists.push(list);
  }
  const out: DetectEvent[] = [];
  const next = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (next[i] < lists[i].length && (best < 0 || lists[i][next[i]].ts < lists[best][next[best]].ts))
        best = i;
    }
    if (best < 0) break;
    out.push(lists[best][next[best]++].event);
  }
  clock.now = micro(last + SYNTHETIC_STEP_S);
  return out;
}

export type ReplaySpeed = { kind: 'fast' } | { kind: 'factor'; factor: number };

export function parseSpeed(text: string): ReplaySpeed | undefined {
  if (text === 'fast') return { kind: 'fast' };
  if (text === 'real') return { kind: 'factor', factor: 1 };
  const f = Number(text);
  return Number.isFinite(f) && f > 0 ? { kind: 'factor', factor: f } : undefined;
}
