// The `events` format (design.md): one API call per JSON line, as a live host agent would send it.
//
//   {"host": "h1", "pid": 4242, "ppid": 1, "process": "a.exe", "api": "NtOpenKey", "args": {...}, "ts": 1732600000.123}
//
// Extensions (malgram):
// - the end of a process, which frees its detector state:
//     {"host": "h1", "pid": 4242, "event": "exit", "ts": 1732600001.5}
// - optional call outcome fields, which rules can test (a handle bound from a return value, a
//   success status): `"ret"` (number, or string of at most 256 characters, e.g. "0x00000000") and
//   `"status"` (boolean). `replay` writes them when the report has them.
//
// Field rules (everything is untrusted, everything is bounded):
// - `pid` (required): a non-negative safe integer. `ppid`: the same, optional.
// - `host` (optional, default "-"), `process` (optional): strings of at most 256 characters.
// - `api` (required for a call): a non-empty string of at most 256 characters.
// - `args` (optional): an object; only the first MAX_ARGS entries are kept, string values are cut at
//   MAX_ARG_CHARS characters, nested objects/arrays become (cut) JSON text. Kept in a Map.
// - `ts` (optional): seconds as a finite number. Events are processed in arrival order; the
//   timestamp is only used for "seconds since the process's first call" (see state.ts).
// - `event` (optional): "call" (the default) or "exit".
// A line longer than the line limit, that is not JSON, or that breaks a rule above is reported
// (with its line number) and skipped.
import type { ArgValue } from '../core/trace.js';

export const MAX_NAME_CHARS = 256;
export const MAX_ARGS = 64;
export const MAX_ARG_CHARS = 4096;
/** Default longest accepted line, in bytes. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export interface CallEvent {
  kind: 'call';
  host: string;
  pid: number;
  ppid?: number;
  process?: string;
  api: string;
  args?: Map<string, ArgValue>;
  ts?: number;
  ret?: string | number;
  status?: boolean;
}

export interface ExitEvent {
  kind: 'exit';
  host: string;
  pid: number;
  ts?: number;
}

export type DetectEvent = CallEvent | ExitEvent;

/** Why a line was rejected (thrown by parseEvent, caught and reported by the line reader). */
export class EventError extends Error {}

function boundedName(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new EventError(`missing "${field}"`);
    return undefined;
  }
  if (typeof value !== 'string') throw new EventError(`"${field}" must be a string`);
  if (value.length === 0 && required) throw new EventError(`"${field}" is empty`);
  if (value.length > MAX_NAME_CHARS)
    throw new EventError(`"${field}" is longer than ${MAX_NAME_CHARS} characters`);
  return value;
}

function processId(value: unknown, field: string, required: boolean): number | undefined {
  if (value === undefined || value === null) {
    if (required) throw new EventError(`missing "${field}"`);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new EventError(`"${field}" must be a non-negative integer`);
  }
  return value;
}

function cut(text: string): string {
  return text.length > MAX_ARG_CHARS ? text.slice(0, MAX_ARG_CHARS) : text;
}

function argValue(value: unknown): ArgValue {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value as ArgValue;
  if (typeof value === 'string') return cut(value);
  return cut(JSON.stringify(value));
}

function parseArgs(value: unknown): Map<string, ArgValue> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new EventError('"args" must be an object');
  const args = new Map<string, ArgValue>();
  // JSON.parse makes every key (even "__proto__") an own property; for..in would also see own keys
  // only here, but Object.keys is explicit.
  for (const key of Object.keys(value)) {
    if (args.size >= MAX_ARGS) break;
    const name = key.length > MAX_NAME_CHARS ? key.slice(0, MAX_NAME_CHARS) : key;
    if (!args.has(name)) args.set(name, argValue((value as Record<string, unknown>)[key]));
  }
  return args;
}

/** Validates one parsed JSON value as an event; throws EventError saying what is wrong. */
export function toEvent(raw: unknown): DetectEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new EventError('not a JSON object');
  const o = raw as Record<string, unknown>;
  const host = boundedName(o.host, 'host', false) ?? '-';
  const pid = processId(o.pid, 'pid', true)!;
  let ts: number | undefined;
  if (o.ts !== undefined && o.ts !== null) {
    if (typeof o.ts !== 'number' || !Number.isFinite(o.ts))
      throw new EventError('"ts" must be a finite number');
    ts = o.ts;
  }
  const kind = o.event;
  if (kind === 'exit') return { kind: 'exit', host, pid, ts };
  if (kind !== undefined && kind !== 'call') throw new EventError('"event" must be "call" or "exit"');
  let ret: string | number | undefined;
  if (o.ret !== undefined && o.ret !== null) {
    if (typeof o.ret === 'number' && Number.isFinite(o.ret)) ret = o.ret;
    else ret = boundedName(o.ret, 'ret', false);
  }
  if (o.status !== undefined && o.status !== null && typeof o.status !== 'boolean') {
    throw new EventError('"status" must be true or false');
  }
  return {
    kind: 'call',
    host,
    pid,
    ppid: processId(o.ppid, 'ppid', false),
    process: boundedName(o.process, 'process', false),
    api: boundedName(o.api, 'api', true)!,
    args: parseArgs(o.args),
    ts,
    ret,
    status: o.status as boolean | undefined,
  };
}

/**
 * Parses one line of the events format; throws EventError (JSON syntax or a field rule). The
 * reference path: the inputs parse lines from their bytes with the fast parser (event-parser.ts),
 * which gives the same results faster.
 */
export function parseEvent(line: string): DetectEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new EventError(`not JSON (${(err as Error).message})`);
  }
  return toEvent(raw);
}

/** The JSON line of an event (the inverse of parseEvent; args back to an object with own keys, cut to the bounds). */
export function formatEvent(event: DetectEvent): string {
  if (event.kind === 'exit') {
    return JSON.stringify({ host: event.host, pid: event.pid, event: 'exit', ts: event.ts });
  }
  let args: Record<string, ArgValue> | undefined;
  if (event.args && event.args.size > 0) {
    args = {};
    for (const [k, v] of event.args)
      Object.defineProperty(args, k, { value: v, enumerable: true, writable: true });
  }
  return JSON.stringify({
    host: event.host,
    pid: event.pid,
    ppid: event.ppid,
    process: event.process,
    api: event.api,
    args,
    ts: event.ts,
    ret: typeof event.ret === 'string' && event.ret.length > MAX_NAME_CHARS ? undefined : event.ret,
    status: event.status,
  });
}
