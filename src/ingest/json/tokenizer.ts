// A streaming, byte-level JSON tokenizer (RFC 8259) fed with Buffer chunks: the hot path of the
// sandbox-report readers, which must read reports of hundreds of MB at ≥ 100 MB/s in bounded memory.
//
// Push style: `write(chunk)` scans the bytes and calls the handler for every token (`startObject`,
// `key`, `value`, ...). A token may span chunks: a string is kept as raw byte pieces until its
// closing quote, a number or literal as a few carried bytes; nothing else is kept between chunks.
// The handler may call `skipValue()` from `key()` (or before any value), or return false from
// `startObject()`/`startArray()` to skip that container's content: the value is then
// passed over without decoding anything — strings are only searched for their closing quote and
// containers only counted — which is how big unwanted sections (`curtain`, `strings`, ...) cost
// almost nothing. Inside a skipped value only string and bracket balance are checked.
//
// Tolerance (sandbox reports are dumped by Python with odd contents): lone UTF-16 surrogate escapes
// (`\ud83d`) become lone surrogates in the JS string, raw UTF-8 is decoded (invalid bytes become
// U+FFFD), raw control characters in strings are accepted, integers beyond 2^53 are returned as
// their decimal text so nothing is silently rounded. Strings longer than `maxString` bytes are
// truncated to that length (the rest is scanned, not kept). A syntax error or a truncated document
// throws a JsonSyntaxError carrying the absolute byte offset.

/** A scalar JSON value; integers that do not fit a double exactly arrive as decimal strings. */
export type JsonScalar = string | number | boolean | null;

export interface JsonHandler {
  /** Returning false skips the container's content (and no matching end event comes). */
  startObject(): boolean | undefined;
  endObject(): void;
  /** Returning false skips the container's content (and no matching end event comes). */
  startArray(): boolean | undefined;
  endArray(): void;
  /** An object member name; the member's value follows. */
  key(name: string): void;
  value(v: JsonScalar): void;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

export interface TokenizerOptions {
  /** Longest string kept (bytes of JSON text); longer ones are truncated. Default 1 MiB. */
  maxString?: number;
  /** Deepest nesting accepted. Default 512 (skipped values: 100,000). */
  maxDepth?: number;
}

// What the tokenizer expects next (between tokens) or is in the middle of.
const S_VALUE = 0; // a value (top level, after ':' )
const S_VALUE_OR_END = 1; // after '['
const S_KEY_OR_END = 2; // after '{'
const S_KEY = 3; // after ',' in an object
const S_COLON = 4;
const S_COMMA_OR_END = 5; // after a value inside a container
const S_DONE = 6; // after the top-level value
const S_STRING = 7; // inside a string
const S_SCALAR = 8; // inside a number or literal
const S_SKIP = 9; // inside a skipped container

const C_OBJECT = 1;
const C_ARRAY = 2;

const MAX_SAFE_DIGITS = 15;
/** Strings up to this many bytes go through the decoded-string cache. */
const SHORT = 32;
const CACHE_SIZE = 4096;

// Node's Buffer has these fast decoders (behind toString) but its typings do not list them.
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const latin1 = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as FastSlices).latin1Slice(start, end);
const utf8 = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as FastSlices).utf8Slice(start, end);
// any integer with at most 15 digits is exactly representable

export class JsonTokenizer {
  private state = S_VALUE;
  /** Absolute offset of byte 0 of the current chunk. */
  private base = 0;
  private readonly stack: Uint8Array;
  private depth = 0;
  private readonly maxString: number;
  private readonly cache: (string | undefined)[] = new Array(CACHE_SIZE).fill(undefined);

  // string in progress
  private strIsKey = false;
  private strSkip = false;
  private strEscape = false; // the previous byte was an unconsumed backslash
  private strHasEscape = false;
  private strPieces: Buffer[] = [];
  private strBytes = 0;

  // number/literal in progress
  private scalarText = '';
  private scalarSkip = false;

  // skipped container in progress
  private skipNext = false;
  private readonly skipStack: Uint8Array;
  private skipDepth = 0;
  private skipInString = false;
  private skipEscape = false;

  constructor(
    private readonly handler: JsonHandler,
    options: TokenizerOptions = {},
  ) {
    this.maxString = options.maxString ?? 1 << 20;
    this.stack = new Uint8Array(options.maxDepth ?? 512);
    this.skipStack = new Uint8Array(100_000);
  }

  /** Makes the next value (the one after the current key, or the next array item) be skipped. */
  skipValue(): void {
    this.skipNext = true;
  }

  /** Bytes consumed so far (absolute offset of the next byte). */
  get offset(): number {
    return this.base;
  }

  /** Whether a complete top-level value has been read. */
  get done(): boolean {
    return this.state === S_DONE;
  }

  write(buf: Buffer): void {
    const n = buf.length;
    let i = 0;
    let state = this.state;
    while (i < n) {
      switch (state) {
        case S_STRING: {
          // Find the closing quote; a backslash makes the next byte part of the string.
          const start = i;
          let esc = this.strEscape;
          let quote = -1;
          for (; i < n; i++) {
            const b = buf[i];
            if (esc) esc = false;
            else if (b === 0x5c) {
              esc = true;
              this.strHasEscape = true;
            } else if (b === 0x22) {
              quote = i;
              break;
            }
          }
          this.strEscape = esc;
          if (quote < 0) {
            if (!this.strSkip) this.addPiece(buf, start, n);
            break;
          }
          i = quote + 1;
          state = this.finishString(buf, start, quote);
          break;
        }
        case S_SKIP: {
          i = this.skipScan(buf, i, n);
          if (this.skipDepth === 0) state = this.afterValue();
          break;
        }
        case S_SCALAR: {
          const start = i;
          while (i < n && isScalarByte(buf[i])) i++;
          if (i < n && this.scalarText === '') {
            // Whole token in this chunk: small integers and literals without a string.
            const v = this.scalarSkip ? true : quickScalar(buf, start, i);
            if (v !== undefined) {
              if (!this.scalarSkip) this.handler.value(v);
              state = this.afterValue();
              break;
            }
          }
          this.scalarText += latin1(buf, start, i);
          if (this.scalarText.length > 1000) this.fail('number or literal too long', i);
          if (i < n) state = this.finishScalar(i);
          break;
        }
        default: {
          const b = buf[i];
          if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
            // Indented reports are ~40% whitespace: run through it here.
            i++;
            while (i < n) {
              const w = buf[i];
              if (w !== 0x20 && w !== 0x0a && w !== 0x0d && w !== 0x09) break;
              i++;
            }
            continue;
          }
          switch (state) {
            case S_COLON:
              if (b !== 0x3a) this.fail(`expected ':' but found ${describe(b)}`, i);
              i++;
              state = S_VALUE;
              continue;
            case S_COMMA_OR_END:
              if (b === 0x2c) {
                i++;
                state = this.stack[this.depth - 1] === C_OBJECT ? S_KEY : S_VALUE;
                continue;
              }
              if (b === 0x7d || b === 0x5d) {
                i++;
                state = this.closeContainer(b, i - 1);
                continue;
              }
              this.fail(`expected ',' or a closing bracket but found ${describe(b)}`, i);
              break;
            case S_KEY_OR_END:
            case S_KEY:
              if (b === 0x22) {
                i++;
                this.startString(true, false);
                state = S_STRING;
                continue;
              }
              if (b === 0x7d && state === S_KEY_OR_END) {
                i++;
                state = this.closeContainer(b, i - 1);
                continue;
              }
              this.fail(`expected a member name but found ${describe(b)}`, i);
              break;
            case S_DONE:
              this.fail(`unexpected ${describe(b)} after the end of the document`, i);
              break;
            default: {
              // S_VALUE or S_VALUE_OR_END
              if (b === 0x5d && state === S_VALUE_OR_END) {
                i++;
                state = this.closeContainer(b, i - 1);
                continue;
              }
              const skip = this.skipNext;
              this.skipNext = false;
              if (b === 0x22) {
                i++;
                this.startString(false, skip);
                state = S_STRING;
              } else if (b === 0x7b || b === 0x5b) {
                i++;
                const kind = b === 0x7b ? C_OBJECT : C_ARRAY;
                if (!skip) {
                  if (this.depth >= this.stack.length) this.fail('nesting too deep', i - 1);
                  const wanted = kind === C_OBJECT ? this.handler.startObject() : this.handler.startArray();
                  if (wanted !== false) {
                    this.stack[this.depth++] = kind;
                    state = kind === C_OBJECT ? S_KEY_OR_END : S_VALUE_OR_END;
                    continue;
                  }
                }
                this.skipStack[0] = kind;
                this.skipDepth = 1;
                this.skipInString = false;
                this.skipEscape = false;
                state = S_SKIP;
              } else if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
                this.scalarText = '';
                this.scalarSkip = skip;
                state = S_SCALAR;
              } else {
                this.fail(`unexpected ${describe(b)}`, i);
              }
            }
          }
        }
      }
    }
    this.state = state;
    this.base += n;
  }

  /** Signals the end of input: throws if the document is incomplete. */
  end(): void {
    if (this.state === S_SCALAR && this.depth === 0) {
      this.state = this.finishScalar(0);
    }
    if (this.state !== S_DONE) {
      const what = this.base === 0 ? 'empty input' : 'truncated JSON (unexpected end of input)';
      throw new JsonSyntaxError(what, this.base);
    }
  }

  private fail(reason: string, i: number): never {
    throw new JsonSyntaxError(reason, this.base + i);
  }

  private startString(isKey: boolean, skip: boolean): void {
    this.strIsKey = isKey;
    this.strSkip = skip;
    this.strEscape = false;
    this.strHasEscape = false;
    this.strBytes = 0;
    if (this.strPieces.length > 0) this.strPieces = [];
  }

  private addPiece(buf: Buffer, start: number, end: number): void {
    const room = this.maxString - this.strBytes;
    if (room <= 0) return;
    const stop = Math.min(end, start + room);
    // Copy: the chunk must not be kept alive by a long string.
    this.strPieces.push(Buffer.from(buf.subarray(start, stop)));
    this.strBytes += stop - start;
  }

  private finishString(buf: Buffer, start: number, quote: number): number {
    if (this.strSkip) return this.afterValue();
    let text: string;
    if (this.strPieces.length === 0) {
      const stop = Math.min(quote, start + this.maxString);
      if (this.strHasEscape) text = decodeEscaped(buf, start, stop);
      else if (stop - start <= SHORT) text = this.shortString(buf, start, stop);
      else text = utf8(buf, start, stop);
    } else {
      this.addPiece(buf, start, quote);
      const all = Buffer.concat(this.strPieces);
      this.strPieces = [];
      text = this.strHasEscape ? decodeEscaped(all, 0, all.length) : utf8(all, 0, all.length);
    }
    if (this.strIsKey) {
      this.handler.key(text);
      return S_COLON;
    }
    this.handler.value(text);
    return this.afterValue();
  }

  /**
   * A short escape-free string, shared through a small direct-mapped cache: member names and
   * recurring values (API names, categories, handles) are then decoded once, and their hash is
   * already computed when they are used as Map keys.
   */
  private shortString(buf: Buffer, start: number, stop: number): string {
    const len = stop - start;
    if (len === 0) return '';
    // A hash of a few sampled bytes: cheap, and a collision only costs a cache miss.
    const h =
      len * 0x9e3 +
      buf[start] * 0x3b1 +
      buf[stop - 1] * 0x65 +
      buf[start + (len >> 1)] * 0x1f +
      buf[Math.max(start, stop - 2)];
    const slot = (h ^ (h >>> 11)) & (CACHE_SIZE - 1);
    const known = this.cache[slot];
    if (known !== undefined && known.length === len) {
      let k = 0;
      while (k < len && known.charCodeAt(k) === buf[start + k]) k++;
      if (k === len) return known;
    }
    for (let k = start; k < stop; k++) if (buf[k] >= 0x80) return utf8(buf, start, stop);
    const text = latin1(buf, start, stop);
    this.cache[slot] = text;
    return text;
  }

  private finishScalar(i: number): number {
    const text = this.scalarText;
    this.scalarText = '';
    const v = parseScalar(text);
    if (v === undefined) this.fail(`invalid number or literal "${text.slice(0, 40)}"`, i - text.length);
    if (!this.scalarSkip) this.handler.value(v);
    return this.afterValue();
  }

  private afterValue(): number {
    return this.depth === 0 ? S_DONE : S_COMMA_OR_END;
  }

  private closeContainer(b: number, i: number): number {
    const want = b === 0x7d ? C_OBJECT : C_ARRAY;
    if (this.depth === 0 || this.stack[this.depth - 1] !== want) this.fail(`unexpected ${describe(b)}`, i);
    this.depth--;
    if (want === C_OBJECT) this.handler.endObject();
    else this.handler.endArray();
    return this.afterValue();
  }

  /** Scans a skipped container from `i`; returns where it stopped (its end, or the chunk's end). */
  private skipScan(buf: Buffer, i: number, n: number): number {
    let depth = this.skipDepth;
    let inString = this.skipInString;
    let esc = this.skipEscape;
    const stack = this.skipStack;
    while (i < n) {
      if (inString) {
        // Jump to the next quote, then check it is not escaped (odd run of backslashes before it).
        if (esc) {
          esc = false;
          i++;
          continue;
        }
        // Most skipped strings are short: look a few bytes ahead before asking indexOf.
        const near = Math.min(n, i + 24);
        while (i < near) {
          const b = buf[i];
          if (b === 0x22 || b === 0x5c) break;
          i++;
        }
        if (i < near) {
          if (buf[i] === 0x22) inString = false;
          else esc = true;
          i++;
          continue;
        }
        if (i >= n) break;
        const q = buf.indexOf(0x22, i);
        if (q < 0) {
          // The string goes on in the next chunk; remember whether the last byte escapes the next.
          let k = n - 1;
          while (k >= i && buf[k] === 0x5c) k--;
          esc = (n - 1 - k) % 2 === 1;
          i = n;
          break;
        }
        let k = q - 1;
        while (k >= i && buf[k] === 0x5c) k--;
        if ((q - 1 - k) % 2 === 1) {
          i = q + 1;
          continue;
        }
        inString = false;
        i = q + 1;
        continue;
      }
      const b = buf[i++];
      if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) {
        if (depth >= stack.length) this.fail('nesting too deep', i - 1);
        stack[depth++] = b === 0x7b ? C_OBJECT : C_ARRAY;
      } else if (b === 0x7d || b === 0x5d) {
        if (stack[depth - 1] !== (b === 0x7d ? C_OBJECT : C_ARRAY))
          this.fail(`unexpected ${describe(b)}`, i - 1);
        depth--;
        if (depth === 0) break;
      }
    }
    this.skipDepth = depth;
    this.skipInString = inString;
    this.skipEscape = esc;
    return i;
  }
}

function isScalarByte(b: number): boolean {
  // digits, - + . e E, and the letters of true/false/null
  return (
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2d ||
    b === 0x2b ||
    b === 0x2e ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x45
  );
}

/** A literal or an integer of up to 15 digits straight from the bytes; undefined when not that simple. */
function quickScalar(buf: Buffer, start: number, end: number): JsonScalar | undefined {
  const len = end - start;
  const first = buf[start];
  if (
    first === 0x74 &&
    len === 4 &&
    buf[start + 1] === 0x72 &&
    buf[start + 2] === 0x75 &&
    buf[start + 3] === 0x65
  ) {
    return true;
  }
  if (first === 0x66 && len === 5 && buf[start + 1] === 0x61 && buf[start + 4] === 0x65) {
    return buf[start + 2] === 0x6c && buf[start + 3] === 0x73 ? false : undefined;
  }
  if (
    first === 0x6e &&
    len === 4 &&
    buf[start + 1] === 0x75 &&
    buf[start + 2] === 0x6c &&
    buf[start + 3] === 0x6c
  ) {
    return null;
  }
  let k = start;
  const negative = first === 0x2d;
  if (negative) k++;
  const digits = end - k;
  if (digits < 1 || digits > MAX_SAFE_DIGITS || (buf[k] === 0x30 && digits > 1)) return undefined;
  let v = 0;
  for (; k < end; k++) {
    const d = buf[k] - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function parseScalar(text: string): JsonScalar | undefined {
  switch (text) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
  }
  if (!NUMBER.test(text)) return undefined;
  const v = Number(text);
  const digits = text.charCodeAt(0) === 0x2d ? text.length - 1 : text.length;
  if (digits > MAX_SAFE_DIGITS && !Number.isSafeInteger(v) && /^-?\d+$/.test(text)) return text;
  return v;
}

function describe(b: number): string {
  return b >= 0x21 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** Decodes the bytes of a JSON string body with escapes (raw bytes as UTF-8). */
function decodeEscaped(buf: Buffer, start: number, end: number): string {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    if (buf[i] !== 0x5c) {
      i++;
      continue;
    }
    if (i > run) out += utf8(buf, run, i);
    const e = buf[i + 1];
    i += 2;
    switch (e) {
      case 0x6e:
        out += '\n';
        break;
      case 0x74:
        out += '\t';
        break;
      case 0x72:
        out += '\r';
        break;
      case 0x62:
        out += '\b';
        break;
      case 0x66:
        out += '\f';
        break;
      case 0x75: {
        let code = 0;
        let k = 0;
        for (; k < 4 && i + k < end; k++) {
          const h = hexValue(buf[i + k]);
          if (h < 0) break;
          code = code * 16 + h;
        }
        if (k === 4) {
          // A lone surrogate stays a lone surrogate: JS strings allow it.
          out += String.fromCharCode(code);
          i += 4;
        } else {
          out += '\\u';
        }
        break;
      }
      default:
        // \" \\ \/ and, tolerated, any other escaped byte as itself
        if (e !== undefined) out += String.fromCharCode(e);
    }
    run = i;
  }
  if (run < end) out += utf8(buf, run, end);
  return out;
}
