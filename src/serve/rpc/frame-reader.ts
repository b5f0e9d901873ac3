// Cuts a TCP byte stream into MessagePack messages: partial messages wait for more bytes,
// several messages in one packet come out one by one, and a message larger than the bound is
// refused before it is buffered whole.
import { scanFrame } from './frame-scanner.js';

export class FrameError extends Error {}

export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes the pending message needs at least; no rescan before they are there. */
  private needed = 1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds received bytes and returns the complete messages now available (raw bytes each). */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= this.needed) {
      const scan = scanFrame(this.buffer, this.buffer.length, this.maxFrameBytes);
      if (scan.kind === 'invalid') throw new FrameError(scan.reason);
      if (scan.kind === 'incomplete') {
        this.needed = scan.atLeast;
        break;
      }
      frames.push(this.buffer.subarray(0, scan.length));
      this.buffer = this.buffer.subarray(scan.length);
      this.needed = 1;
    }
    if (this.buffer.length > this.maxFrameBytes)
      throw new FrameError(`message larger than ${this.maxFrameBytes} bytes`);
    return frames;
  }

  /** Bytes received but not yet part of a complete message. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}
