// What every match-expression operator compiles to: a small state machine fed one call at a time.
// A node fires at most once per process state (it latches): the first time its expression holds it
// returns the evidence, afterwards it stays fired and returns null.
import type { CallView } from './values.js';

/** One call that took part in a match. */
export interface Evidence {
  /** Index of the call in its process's call list. */
  index: number;
  /** The process the call belongs to, when it is not the process the state is for (tree scope). */
  pid?: number;
  api: string;
}

export interface NodeState {
  fired: boolean;
  /**
   * Some call could have advanced this expression but lacked the data to tell (a condition on an
   * absent argument was unknown). A `not` member of `all` only holds when its expression neither
   * fired nor became undetermined: absence of evidence is not evidence of absence.
   */
  undetermined: boolean;
}

export interface ExpressionNode<S extends NodeState = NodeState> {
  /** Lower-cased API names whose calls can change this node's state; null when any call can. */
  apis: ReadonlySet<string> | null;
  newState(): S;
  /** Consumes one call; returns the evidence when the expression first holds, otherwise null. */
  feed(state: S, call: CallView): Evidence[] | null;
}

export function evidenceOf(call: CallView): Evidence {
  return call.pid === undefined
    ? { index: call.index, api: call.call.api }
    : { index: call.index, pid: call.pid, api: call.call.api };
}

/** Where and when a partial match started. */
export interface Mark {
  position: number;
  ts?: number;
}

/** A `within` window: at most `calls` calls from first to last (inclusive), at most `seconds` apart. */
export interface Window {
  calls?: number;
  seconds?: number;
}

/**
 * Whether a match started at `start` may still end at `now`. A seconds window needs call times on
 * both calls; without them (e.g. CSV data) only the calls window applies.
 */
export function inWindow(window: Window | undefined, start: Mark, now: Mark): boolean {
  return inWindowAt(window, start, now.position, now.ts);
}

/** inWindow with the current position and time passed apart (no Mark allocated per call). */
export function inWindowAt(
  window: Window | undefined,
  start: Mark,
  position: number,
  ts: number | undefined,
): boolean {
  if (!window) return true;
  if (window.calls !== undefined && position - start.position + 1 > window.calls) return false;
  if (
    window.seconds !== undefined &&
    start.ts !== undefined &&
    ts !== undefined &&
    ts - start.ts > window.seconds
  )
    return false;
  return true;
}

/** The union of API sets (null, meaning any API, absorbs everything). */
export function unionApis(sets: (ReadonlySet<string> | null)[]): ReadonlySet<string> | null {
  const out = new Set<string>();
  for (const s of sets) {
    if (s === null) return null;
    for (const api of s) out.add(api);
  }
  return out;
}
