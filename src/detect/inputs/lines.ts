// Splits a byte stream into event lines with a bound on line length, parses each line and hands
// the events on. A malformed or too-long line is reported with its line number and skipped; the
// stream goes on. Used by every input (stdin, files, TCP connections, HTTP bodies).
import { StringDecoder } from 'node:string_decoder';
import { type DetectEvent, EventError, parseEvent } from '../events.js';

export interface EventHandlers {
  /** Called for every valid event, in input order. */
  onEvent(event: DetectEvent): void;
  /** Called for every skipped line: `where` names the input and the line (`file:12`). */
  onMalformed(where: string, reason: string): void;
}

export class EventLineSplitter {
  /** Number of lines seen (complete or discarded), i.e. the current line number. */
  line = 0;
  // Chunks are decoded to text once (a multi-byte character split across chunks is held back by
  // the decoder) and cut at newlines; a line's byte length is only computed when it might exceed
  // the limit (a UTF-8 line has at most 3 bytes per UTF-16 unit).
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private discarding = false;

  constructor(
    private readonly source: string,
    private readonly handlers: EventHandlers,
    private readonly maxLineBytes: number,
  ) {}

  /** Feeds a chunk; every complete line in it is handled at once. */
  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  private feed(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.line++;
      if (this.discarding) {
        this.discarding = false;
      } else if (this.pending.length > 0) {
        const whole = this.pending + text.slice(start, nl);
        this.pending = '';
        this.handleLine(whole);
      } else {
        this.handleLine(text.slice(start, nl));
      }
      start = nl + 1;
    }
    if (start < text.length && !this.discarding) {
      this.pending += start === 0 ? text : text.slice(start);
      if (this.tooLong(this.pending)) {
        // Report now, with the number the line will have, and drop text until its newline.
        this.handlers.onMalformed(
          `${this.source}:${this.line + 1}`,
          `line longer than ${this.maxLineBytes} bytes`,
        );
        this.discarding = true;
        this.pending = '';
      }
    }
  }

  /** The end of the input: a last line without a newline is handled too. */
  end(): void {
    const rest = this.decoder.end();
    if (rest.length > 0) this.feed(rest);
    if (this.pending.length > 0 && !this.discarding) {
      this.line++;
      this.handleLine(this.pending);
    }
    this.pending = '';
    this.discarding = false;
  }

  private tooLong(text: string): boolean {
    if (text.length * 3 <= this.maxLineBytes) return false;
    return text.length > this.maxLineBytes || Buffer.byteLength(text, 'utf8') > this.maxLineBytes;
  }

  private handleLine(text: string): void {
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1); // CRLF
    if (this.tooLong(text)) {
      this.handlers.onMalformed(`${this.source}:${this.line}`, `line longer than ${this.maxLineBytes} bytes`);
      return;
    }
    if (text.trim().length === 0) return;
    let event: DetectEvent;
    try {
      event = parseEvent(text);
    } catch (err) {
      if (!(err instanceof EventError)) throw err;
      this.handlers.onMalformed(`${this.source}:${this.line}`, err.message);
      return;
    }
    this.handlers.onEvent(event);
  }
}
