// Fast parser for one line of the `events` format (events.ts), the detector's hot input path.
//
// A byte-level scanner over the line's UTF-8 bytes, specialised for the event object: the known
// top-level keys (`host`, `pid`, `ppid`, `process`, `api`, `args`, `ts`, `ret`, `status`, `event`)
// with the value types the field rules allow, `args` as an object of scalars straight into a Map,
// unknown keys with scalar values skipped. It never builds a string of the whole line. It checks the
// JSON grammar (RFC 8259) of everything it reads. Anything it does not handle, and every line that
// would be rejected, is "bailed" to `parseEvent` (JSON.parse + toEvent) on the decoded line, so the
// result — the event, or the EventError and its message — is the same as parseEvent's for every
// input (test/detect/event-parser.test.ts checks this differentially).
// Bailed to the slow path: invalid JSON, a broken field rule, nested values, duplicate keys, escapes
// in top-level keys, `args` keys longer than MAX_NAME_CHARS or starting with a digit (JSON.parse
// objects list array-index keys first), null values, numbers JSON.parse would turn to ±Infinity
// where a finite one is required, any byte ≥ 0x80 outside a string.
//
// Strings: the bytes between two ASCII delimiters (quote, backslash) decode to the same text on
// their own as inside the whole line (a UTF-8 decoder resynchronises at every ASCII byte, invalid
// sequences included), so string contents are decoded piecewise: ASCII runs as latin1, others as
// UTF-8, escapes in between. Lengths are checked on the decoded text (UTF-16 units), as toEvent does.
//
// Numbers: an integer or decimal whose digits, read as one integer N, give N < 2^53 (every step of
// reading them is then exact), with k ≤ 22 fraction digits, is N / 10^k, which IEEE division rounds correctly (Clinger's fast
// path, "How to read floating point numbers accurately", PLDI 1990) — the same double as
// JSON.parse; any other number goes through Number(text), which also rounds correctly.
//
// `host`, `process` and `api` strings of ASCII characters without escapes are interned in bounded
// direct-mapped tables (src/core/byte-names.ts): repeated names cost no allocation, and the
// detector's Map lookups get strings whose hashes V8 has already cached.
import { ByteNameTable, nameHashStep } from '../core/byte-names.js';
import { BACKSLASH, CLOSE_BRACE, COLON, COMMA, isJsonSpace, OPEN_BRACE, QUOTE } from '../core/json-bytes.js';
import type { ArgValue } from '../core/trace.js';
import { type DetectEvent, MAX_ARG_CHARS, MAX_ARGS, MAX_NAME_CHARS, parseEvent } from './events.js';

const HOST = 1;
const PID = 2;
const PPID = 4;
const PROCESS = 8;
const API = 16;
const ARGS = 32;
const TS = 64;
const RET = 128;
const STATUS = 256;
const EVENT = 512;
const UNKNOWN = 0;

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** What `at` reads past the end of the line: fails every test a byte passes. */
const END = -1;

/** Slots of the intern table (a power of two): at most this many names are held. */
const INTERN_SLOTS = 16384;
const TWO_POW_53 = 2 ** 53;
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Lines parsed from a string are encoded into a reused buffer up to this size. */
const SCRATCH_BYTES = 64 * 1024;
/** A lone surrogate (unicode mode matches only unpaired ones): such a string has no UTF-8 form. */
const LONE_SURROGATE = /\p{Cs}/u;

/** An ASCII word of at most 8 characters packed as key() packs a key: [bytes 0–3, bytes 4–7]. */
function packed(word: string): [number, number] {
  const half = [0, 0];
  for (let k = 0; k < word.length; k++) half[k >> 2] |= word.charCodeAt(k) << (8 * (k & 3));
  return [half[0], half[1]];
}
const KEY_TS = packed('ts')[0];
const KEY_PID = packed('pid')[0];
const KEY_API = packed('api')[0];
const KEY_RET = packed('ret')[0];
const KEY_HOST = packed('host')[0];
const KEY_PPID = packed('ppid')[0];
const KEY_ARGS = packed('args')[0];
const KEY_EVENT = packed('event');
const KEY_STATUS = packed('status');
const KEY_PROCESS = packed('process');

/** Thrown inside the scanner to hand the line to the JSON.parse path; never escapes. */
const BAIL = Symbol('bail');

export class EventLineParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private scratch = Buffer.alloc(1024);
  // Process names (one per process) have their own table, so they cannot push out the few host and
  // API names that nearly every line repeats.
  private readonly internedNames = new ByteNameTable(INTERN_SLOTS);
  private readonly internedProcesses = new ByteNameTable(INTERN_SLOTS);
  /** Lines handed to the JSON.parse path (rejected lines included). */
  fallbacks = 0;

  /** Parses the line in `buf[start, end)` (UTF-8, no newline); the same result as `parseEvent` of its text. */
  parseBytes(buf: Buffer, start: number, end: number): DetectEvent {
    try {
      return this.scan(buf, start, end);
    } catch (err) {
      if (err !== BAIL) throw err;
    } finally {
      this.buf = this.scratch; // do not keep the caller's chunk alive
    }
    this.fallbacks++;
    return parseEvent(buf.toString('utf8', start, end));
  }

  /** Parses one line; the same result (event or EventError) as `parseEvent(line)`. */
  parse(line: string): DetectEvent {
    if (LONE_SURROGATE.test(line)) {
      this.fallbacks++;
      return parseEvent(line);
    }
    const bytes = Buffer.byteLength(line);
    let buf = this.scratch;
    if (bytes > buf.length) {
      buf = Buffer.allocUnsafe(bytes);
      if (bytes <= SCRATCH_BYTES) this.scratch = buf;
    }
    buf.write(line, 0);
    try {
      return this.scan(buf, 0, bytes);
    } catch (err) {
      if (err !== BAIL) throw err;
    } finally {
      this.buf = this.scratch;
    }
    this.fallbacks++;
    return parseEvent(line);
  }

  private scan(buf: Buffer, start: number, end: number): DetectEvent {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    let seen = 0;
    let host: string | undefined;
    let pid = 0;
    let ppid: number | undefined;
    let processName: string | undefined;
    let api: string | undefined;
    let args: Map<string, ArgValue> | undefined;
    let ts: number | undefined;
    let ret: string | number | undefined;
    let status: boolean | undefined;
    let exit = false;

    this.skipSpace();
    this.expect(OPEN_BRACE);
    this.skipSpace();
    if (this.at(this.pos) === CLOSE_BRACE) throw BAIL; // {} misses "pid"
    for (;;) {
      const field = this.key();
      if (field !== UNKNOWN) {
        if ((seen & field) !== 0) throw BAIL; // duplicate key: JSON.parse keeps the last
        seen |= field;
      }
      this.skipSpace();
      this.expect(COLON);
      this.skipSpace();
      switch (field) {
        case HOST:
          host = this.name(this.internedNames);
          break;
        case PID:
          pid = this.processId();
          break;
        case PPID:
          ppid = this.processId();
          break;
        case PROCESS:
          processName = this.name(this.internedProcesses);
          break;
        case API:
          api = this.name(this.internedNames);
          if (api.length === 0) throw BAIL;
          break;
        case ARGS:
          args = this.args();
          break;
        case TS:
          ts = this.number();
          if (!Number.isFinite(ts)) throw BAIL;
          break;
        case RET:
          if (this.at(this.pos) === QUOTE) {
            this.pos++;
            ret = this.string();
            if (ret.length > MAX_NAME_CHARS) throw BAIL;
          } else {
            ret = this.number();
            if (!Number.isFinite(ret)) throw BAIL;
          }
          break;
        case STATUS:
          status = this.boolean();
          break;
        case EVENT: {
          this.expect(QUOTE);
          const kind = this.string();
          if (kind === 'exit') exit = true;
          else if (kind !== 'call') throw BAIL;
          break;
        }
        default:
          this.scalar();
      }
      this.skipSpace();
      const c = this.at(this.pos++);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) throw BAIL;
      this.skipSpace();
    }
    this.skipSpace();
    if (this.pos !== end) throw BAIL;
    if ((seen & PID) === 0) throw BAIL;
    if (exit) return { kind: 'exit', host: host ?? '-', pid, ts };
    if (api === undefined) throw BAIL;
    return { kind: 'call', host: host ?? '-', pid, ppid, process: processName, api, args, ts, ret, status };
  }

  /** The byte at `p`, or END past the line. */
  private at(p: number): number {
    return p < this.end ? this.buf[p] : END;
  }

  private expect(c: number): void {
    if (this.at(this.pos) !== c) throw BAIL;
    this.pos++;
  }

  private skipSpace(): void {
    let p = this.pos;
    for (;;) {
      const c = this.at(p);
      if (isJsonSpace(c)) p++;
      else break;
    }
    this.pos = p;
  }

  /** Whether the bytes at `p` spell `word` (ASCII). */
  private spells(p: number, word: string): boolean {
    if (p + word.length > this.end) return false;
    const b = this.buf;
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  /** A top-level key (no escapes): which field it names, UNKNOWN for any other. */
  private key(): number {
    this.expect(QUOTE);
    const start = this.pos;
    let p = start;
    // The first 8 bytes packed little-endian into two int32s: known keys are told by length and value.
    let lo = 0;
    let hi = 0;
    for (;;) {
      const c = this.at(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH || !(c >= 0x20)) throw BAIL;
      const k = p - start;
      if (k < 4) lo |= c << (8 * k);
      else if (k < 8) hi |= c << (8 * (k - 4));
      p++;
    }
    this.pos = p + 1;
    switch (p - start) {
      case 2:
        return lo === KEY_TS ? TS : UNKNOWN;
      case 3:
        return lo === KEY_PID ? PID : lo === KEY_API ? API : lo === KEY_RET ? RET : UNKNOWN;
      case 4:
        return lo === KEY_HOST ? HOST : lo === KEY_PPID ? PPID : lo === KEY_ARGS ? ARGS : UNKNOWN;
      case 5:
        return lo === KEY_EVENT[0] && hi === KEY_EVENT[1] ? EVENT : UNKNOWN;
      case 6:
        return lo === KEY_STATUS[0] && hi === KEY_STATUS[1] ? STATUS : UNKNOWN;
      case 7:
        return lo === KEY_PROCESS[0] && hi === KEY_PROCESS[1] ? PROCESS : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  /** A string of at most MAX_NAME_CHARS characters (host, process, api), interned when ASCII without escapes. */
  private name(interned: ByteNameTable): string {
    this.expect(QUOTE);
    const start = this.pos;
    let p = start;
    let hash = 0;
    for (;;) {
      const c = this.at(p);
      if (c === QUOTE) break;
      if (c === BACKSLASH || c >= 0x80) {
        const value = this.string();
        if (value.length > MAX_NAME_CHARS) throw BAIL;
        return value;
      }
      if (!(c >= 0x20)) throw BAIL;
      hash = nameHashStep(hash, c);
      p++;
    }
    this.pos = p + 1;
    if (p - start > MAX_NAME_CHARS) throw BAIL;
    return interned.get(this.buf, start, p, hash);
  }

  /** The rest of a string whose opening quote has been read; JSON escapes and UTF-8 decoded. */
  private string(): string {
    const b = this.buf;
    let start = this.pos;
    let p = start;
    let ascii = true;
    let value = '';
    for (;;) {
      const c = this.at(p);
      if (c === QUOTE) break;
      if (!(c >= 0x20)) throw BAIL; // control character, or the end of the line
      if (c !== BACKSLASH) {
        if (c >= 0x80) ascii = false;
        p++;
        continue;
      }
      if (p > start) value += ascii ? b.toString('latin1', start, p) : b.toString('utf8', start, p);
      ascii = true;
      const e = this.at(p + 1);
      p += 2;
      switch (e) {
        case QUOTE:
          value += '"';
          break;
        case BACKSLASH:
          value += '\\';
          break;
        case 0x2f:
          value += '/';
          break;
        case 0x62:
          value += '\b';
          break;
        case 0x66:
          value += '\f';
          break;
        case 0x6e:
          value += '\n';
          break;
        case 0x72:
          value += '\r';
          break;
        case 0x74:
          value += '\t';
          break;
        case 0x75: {
          let code = 0;
          for (let i = 0; i < 4; i++) code = code * 16 + hexDigit(this.at(p + i));
          value += String.fromCharCode(code);
          p += 4;
          break;
        }
        default:
          throw BAIL;
      }
      start = p;
    }
    this.pos = p + 1;
    if (p === start) return value;
    const tail = ascii ? b.toString('latin1', start, p) : b.toString('utf8', start, p);
    return value.length === 0 ? tail : value + tail;
  }

  /** A JSON number (grammar checked), as the double JSON.parse gives. */
  private number(): number {
    const start = this.pos;
    let p = start;
    const negative = this.at(p) === MINUS;
    if (negative) p++;
    let mantissa = 0;
    let c = this.at(p);
    if (c === ZERO) {
      c = this.at(++p);
    } else if (c > ZERO && c <= NINE) {
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        c = this.at(++p);
      } while (c >= ZERO && c <= NINE);
    } else {
      throw BAIL;
    }
    let fraction = 0;
    if (c === DOT) {
      c = this.at(++p);
      if (!(c >= ZERO && c <= NINE)) throw BAIL;
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        fraction++;
        c = this.at(++p);
      } while (c >= ZERO && c <= NINE);
    }
    let simple = true;
    if (c === 0x65 || c === 0x45) {
      simple = false;
      c = this.at(++p);
      if (c === PLUS || c === MINUS) c = this.at(++p);
      if (!(c >= ZERO && c <= NINE)) throw BAIL;
      do c = this.at(++p);
      while (c >= ZERO && c <= NINE);
    }
    this.pos = p;
    if (simple && mantissa < TWO_POW_53 && fraction <= 22) {
      const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
      return negative ? -value : value;
    }
    return Number(this.buf.toString('latin1', start, p));
  }

  /** A pid or ppid: a non-negative integer of at most 15 digits (always a safe integer). */
  private processId(): number {
    let p = this.pos;
    let c = this.at(p);
    if (c === ZERO) {
      c = this.at(++p);
      if (c === DOT || c === 0x65 || c === 0x45 || (c >= ZERO && c <= NINE)) throw BAIL;
      this.pos = p;
      return 0;
    }
    if (!(c > ZERO && c <= NINE)) throw BAIL;
    let value = 0;
    const start = p;
    do {
      value = value * 10 + (c - ZERO);
      c = this.at(++p);
    } while (c >= ZERO && c <= NINE);
    if (p - start > 15 || c === DOT || c === 0x65 || c === 0x45) throw BAIL;
    this.pos = p;
    return value;
  }

  private boolean(): boolean {
    if (this.spells(this.pos, 'true')) {
      this.pos += 4;
      return true;
    }
    if (this.spells(this.pos, 'false')) {
      this.pos += 5;
      return false;
    }
    throw BAIL;
  }

  /** A string, number, true, false or null (nested values bail). */
  private scalar(): ArgValue {
    const c = this.at(this.pos);
    if (c === QUOTE) {
      this.pos++;
      return this.string();
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    if (c === 0x6e) {
      if (!this.spells(this.pos, 'null')) throw BAIL;
      this.pos += 4;
      return null;
    }
    return this.boolean();
  }

  /** `args`: an object of scalars, the first MAX_ARGS entries kept, strings cut (as toEvent does). */
  private args(): Map<string, ArgValue> {
    this.expect(OPEN_BRACE);
    const args = new Map<string, ArgValue>();
    this.skipSpace();
    if (this.at(this.pos) === CLOSE_BRACE) {
      this.pos++;
      return args;
    }
    for (;;) {
      this.expect(QUOTE);
      const key = this.string();
      // Longer keys are cut (cut keys may collide); array-index keys come first in Object.keys.
      if (key.length > MAX_NAME_CHARS) throw BAIL;
      const first = key.charCodeAt(0);
      if (first >= ZERO && first <= NINE) throw BAIL;
      this.skipSpace();
      this.expect(COLON);
      this.skipSpace();
      let value = this.scalar();
      if (typeof value === 'string' && value.length > MAX_ARG_CHARS) value = value.slice(0, MAX_ARG_CHARS);
      // A repeated kept key would take the last value: bail. Repeats among dropped keys change nothing.
      if (args.has(key)) throw BAIL;
      if (args.size < MAX_ARGS) args.set(key, value);
      this.skipSpace();
      const c = this.at(this.pos++);
      if (c === CLOSE_BRACE) return args;
      if (c !== COMMA) throw BAIL;
      this.skipSpace();
    }
  }
}

function hexDigit(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  throw BAIL;
}

const shared = new EventLineParser();

/** Parses one event line with a shared parser; the same result as `parseEvent(line)`, faster. */
export function parseEventLine(line: string): DetectEvent {
  return shared.parse(line);
}

/** Parses the event line in `buf[start, end)` with the shared parser; the same result as `parseEvent` of its text. */
export function parseEventBytes(buf: Buffer, start: number, end: number): DetectEvent {
  return shared.parseBytes(buf, start, end);
}
