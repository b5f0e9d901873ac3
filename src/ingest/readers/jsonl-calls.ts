// The fast path of the JSONL reader for long lines of the plain form `{..., "calls": ["NtOpenKey",
// ...], ...}`: the `calls` list is read from the line's bytes, and only the rest of the line
// (the list replaced by `[]`) is decoded and handed to JSON.parse.
//
// Why: a line of 20,000 calls is ~330 KB, and on this machine a string of 128 KiB or more costs
// ~5–8 ns per byte to create against ~0.15 below 64 KiB (V8 puts it in the large-object space),
// so decoding the line cost about as much as parsing it (~2 ms each). Names come from the
// caller's byte-keyed table (src/core/byte-names.ts): a name seen before costs no allocation.
//
// Anything unusual returns null and the line takes the generic path (decode + JSON.parse), so
// the result is always what JSON.parse gives: a name with an escape, a control character or a
// non-ASCII byte; a list element that is not a string; no top-level `calls` list or two of them;
// a malformed object. Members other than `calls` are only skipped over here (strings and
// brackets), JSON.parse then checks them.

import { type ByteNameTable, nameHashStep } from '../../core/byte-names.js';
import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isJsonSpace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from '../../core/json-bytes.js';

export interface CallsListSplit {
  /** The line's JSON text with the top-level `calls` list replaced by `[]`. */
  rest: string;
  /** The list's API names, in order. */
  names: string[];
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isJsonSpace(buf[i])) i++;
  return i;
}

/** End (index after the closing quote) of the string starting at i (a quote), or -1. */
function skipString(buf: Buffer, i: number): number {
  for (i++; i < buf.length; i++) {
    const b = buf[i];
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) return i + 1;
  }
  return -1;
}

/** End of the JSON value starting at i (containers matched, strings skipped), or -1. */
function skipValue(buf: Buffer, i: number): number {
  let depth = 0;
  for (; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      i = skipString(buf, i) - 1;
      if (i < 0) return -1;
      if (depth === 0) return i + 1;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      depth++;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      if (depth === 0) return i; // the end of a scalar at the container's close
      if (--depth === 0) return i + 1;
    } else if (depth === 0 && (b === COMMA || isJsonSpace(b))) {
      return i; // the end of a scalar
    }
  }
  return depth === 0 ? i : -1;
}

/**
 * The names of a list of plain ASCII strings starting at `i` (an opening bracket), with the index
 * after the closing bracket. Null when the list is anything else.
 */
function readNames(buf: Buffer, i: number, names: ByteNameTable): { end: number; list: string[] } | null {
  const list: string[] = [];
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_BRACKET) return { end: i + 1, list };
  for (;;) {
    if (buf[i] !== QUOTE) return null;
    const start = i + 1;
    let j = start;
    let hash = 0;
    for (; j < buf.length; j++) {
      const b = buf[j];
      if (b === QUOTE) break;
      if (b === BACKSLASH || b < 0x20 || b >= 0x80) return null;
      hash = nameHashStep(hash, b);
    }
    if (j >= buf.length) return null;
    list.push(names.get(buf, start, j, hash));
    i = skipSpace(buf, j + 1);
    if (buf[i] === CLOSE_BRACKET) return { end: i + 1, list };
    if (buf[i] !== COMMA) return null;
    i = skipSpace(buf, i + 1);
  }
}

/**
 * Whether the object that `buf` opens has one of `keys` among its own (top-level) keys, reading
 * no further than `buf` goes: for format sniffing, where the head may stop mid-line (the first
 * line of a 20,000-call trace is longer than the head) and a report nests `processes` deeper.
 */
export function openingObjectHasKey(buf: Buffer, keys: ReadonlySet<string>): boolean {
  let i = skipSpace(buf, 0);
  if (buf[i] !== OPEN_BRACE) return false;
  i = skipSpace(buf, i + 1);
  while (buf[i] === QUOTE) {
    const keyEnd = skipString(buf, i);
    if (keyEnd < 0) return false;
    const colon = skipSpace(buf, keyEnd);
    if (buf[colon] !== COLON) return false;
    if (keys.has(buf.toString('utf8', i + 1, keyEnd - 1))) return true;
    i = skipValue(buf, skipSpace(buf, colon + 1));
    if (i < 0) return false;
    i = skipSpace(buf, i);
    if (buf[i] !== COMMA) return false;
    i = skipSpace(buf, i + 1);
  }
  return false;
}

/** Splits the top-level `calls` list of plain names out of a JSONL line, or null (see the header). */
export function splitCallsList(buf: Buffer, names: ByteNameTable): CallsListSplit | null {
  let i = skipSpace(buf, 0);
  if (buf[i] !== OPEN_BRACE) return null;
  i = skipSpace(buf, i + 1);
  let found: { start: number; end: number; list: string[] } | null = null;
  if (buf[i] !== CLOSE_BRACE) {
    for (;;) {
      if (buf[i] !== QUOTE) return null;
      const keyEnd = skipString(buf, i);
      if (keyEnd < 0) return null;
      for (let k = i + 1; k < keyEnd; k++) if (buf[k] === BACKSLASH) return null; // it could spell "calls"
      const isCalls = keyEnd - i === 7 && buf.toString('latin1', i + 1, keyEnd - 1) === 'calls';
      i = skipSpace(buf, keyEnd);
      if (buf[i] !== COLON) return null;
      i = skipSpace(buf, i + 1);
      if (isCalls) {
        if (found || buf[i] !== OPEN_BRACKET) return null;
        const read = readNames(buf, i, names);
        if (!read) return null;
        found = { start: i, end: read.end, list: read.list };
        i = read.end;
      } else {
        i = skipValue(buf, i);
        if (i < 0) return null;
      }
      i = skipSpace(buf, i);
      if (buf[i] === CLOSE_BRACE) break;
      if (buf[i] !== COMMA) return null;
      i = skipSpace(buf, i + 1);
    }
  }
  if (!found || skipSpace(buf, i + 1) !== buf.length) return null;
  const rest = `${buf.toString('utf8', 0, found.start)}[]${buf.toString('utf8', found.end)}`;
  return { rest, names: found.list };
}
