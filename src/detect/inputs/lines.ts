// Splits a byte stream into event lines with a bound on line length, parses each line and hands
// the events on. A malformed or too-long line is reported with its line number and skipped; the
// stream goes on. Used by every input (stdin, files, TCP connections, HTTP bodies).
//
// Lines are cut at `\n` bytes (a newline byte never occurs inside a UTF-8 multi-byte character) and
// parsed from their bytes (event-parser.ts; one shared, synchronous parser): the fast path decodes
// no line to a string. A line longer than the limit is reported without being decoded. The bytes
// after a chunk's last newline wait, copied (callers may reuse their buffers), for the next chunk.

import { parseEventBytes, parseEventLine } from '../event-parser.js';
import { type DetectEvent, EventError } from '../events.js';

export interface EventHandlers {
  /** Called for every valid event, in input order. */
  onEvent(event: DetectEvent): void;
  /** Called for every skipped line: `where` names the input and the line (`file:12`). */
  onMalformed(where: string, reason: string): void;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;
const EMPTY = Buffer.alloc(0);

export class EventLineSplitter {
  /** Number of lines seen (complete or discarded), i.e. the current line number. */
  line = 0;
  /** Bytes of the unfinished last line (at most maxLineBytes). */
  private pending: Buffer = EMPTY;
  /** The current line was too long: its bytes are dropped up to its newline. */
  private discarding = false;

  constructor(
    private readonly source: string,
    private readonly handlers: EventHandlers,
    private readonly maxLineBytes: number,
  ) {}

  /** Feeds a chunk; every complete line in it is handled at once. */
  push(chunk: Buffer): void {
    let start = 0;
    if (this.discarding || this.pending.length > 0) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.hold(chunk, 0);
        return;
      }
      this.line++;
      if (this.discarding) this.discarding = false;
      else if (this.pending.length + nl > this.maxLineBytes) this.tooLong(this.line);
      else {
        const line = Buffer.concat([this.pending, chunk.subarray(0, nl)]);
        this.handleLine(line, 0, line.length);
      }
      this.pending = EMPTY;
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.line++;
      if (nl - start > this.maxLineBytes) this.tooLong(this.line);
      else this.handleLine(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk, start);
  }

  /** The end of the input: a last line without a newline is handled too. */
  end(): void {
    if (this.pending.length > 0 && !this.discarding) {
      this.line++;
      this.handleLine(this.pending, 0, this.pending.length);
    }
    this.pending = EMPTY;
    this.discarding = false;
  }

  /** Keeps the unfinished line's bytes from `start` on, or starts discarding it once too long. */
  private hold(chunk: Buffer, start: number): void {
    if (this.discarding) return;
    if (this.pending.length + chunk.length - start > this.maxLineBytes) {
      // Report now, with the number the line will have, and drop bytes until its newline.
      this.tooLong(this.line + 1);
      this.discarding = true;
      this.pending = EMPTY;
      return;
    }
    this.pending = Buffer.concat([this.pending, chunk.subarray(start)]);
  }

  private tooLong(line: number): void {
    this.handlers.onMalformed(`${this.source}:${line}`, `line longer than ${this.maxLineBytes} bytes`);
  }

  /** The line in `buf[start, end)` (no newline). */
  private handleLine(buf: Buffer, start: number, end: number): void {
    let event: DetectEvent;
    try {
      if (end > start && buf[end - 1] === CR) end--; // CRLF
      if (end > start && buf[start] === OPEN_BRACE) {
        // The fast path: parsed from the bytes.
        event = parseEventBytes(buf, start, end);
      } else {
        const text = buf.toString('utf8', start, end);
        if (text.trim().length === 0) return;
        event = parseEventLine(text);
      }
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      this.handlers.onMalformed(`${this.source}:${this.line}`, err.message);
      return;
    }
    this.handlers.onEvent(event);
  }
}
