// Splits a byte stream into event lines with a bound on line length, parses each line and hands
// the events on. A malformed or too-long line is reported with its line number and skipped; the
// stream goes on. Used by every input (stdin, files, TCP connections, HTTP bodies).
//
// Chunks are cut at their last `\n` byte (a newline byte never occurs inside a UTF-8 multi-byte
// character): the complete lines before it are decoded with one toString call and split at
// newlines in the text; the bytes after it wait, copied (callers may reuse their buffers), for the
// next chunk. Lines go to the fast event parser (event-parser.ts; one shared, synchronous).

import { parseEventLine } from '../event-parser.js';
import { type DetectEvent, EventError } from '../events.js';

export interface EventHandlers {
  /** Called for every valid event, in input order. */
  onEvent(event: DetectEvent): void;
  /** Called for every skipped line: `where` names the input and the line (`file:12`). */
  onMalformed(where: string, reason: string): void;
}

const NEWLINE = 0x0a;
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
      else this.handleLine(Buffer.concat([this.pending, chunk.subarray(0, nl)]).toString('utf8'));
      this.pending = EMPTY;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      this.handleLines(chunk.toString('utf8', start, last));
      start = last + 1;
    }
    if (start < chunk.length) this.hold(chunk, start);
  }

  /** The end of the input: a last line without a newline is handled too. */
  end(): void {
    if (this.pending.length > 0 && !this.discarding) {
      this.line++;
      this.handleLine(this.pending.toString('utf8'));
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

  /** Complete lines, newline-separated (no newline after the last). */
  private handleLines(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      this.line++;
      // A UTF-8 line has at least as many bytes as UTF-16 units and at most 3 per unit.
      const length = (nl < 0 ? text.length : nl) - start;
      if (length * 3 > this.maxLineBytes && this.overLimit(text, start, start + length)) {
        this.tooLong(this.line);
      } else {
        this.handleLine(nl < 0 ? text.slice(start) : text.slice(start, nl));
      }
      if (nl < 0) return;
      start = nl + 1;
    }
  }

  private overLimit(text: string, start: number, end: number): boolean {
    return end - start > this.maxLineBytes || Buffer.byteLength(text.slice(start, end)) > this.maxLineBytes;
  }

  private tooLong(line: number): void {
    this.handlers.onMalformed(`${this.source}:${line}`, `line longer than ${this.maxLineBytes} bytes`);
  }

  private handleLine(text: string): void {
    // The fast path: a line starting with `{` and not ending in CR is handed over as it is.
    if (text.charCodeAt(0) !== 0x7b || text.charCodeAt(text.length - 1) === 0x0d) {
      if (text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1); // CRLF
      if (text.trim().length === 0) return;
    }
    let event: DetectEvent;
    try {
      event = parseEventLine(text);
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      this.handlers.onMalformed(`${this.source}:${this.line}`, err.message);
      return;
    }
    this.handlers.onEvent(event);
  }
}
