// Events from a readable byte stream: stdin or a file read once to its end.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { type EventHandlers, EventLineSplitter } from './lines.js';

/** Reads `stream` to its end, handing on every event; resolves with the number of lines read. */
export async function readEventStream(
  stream: Readable,
  source: string,
  handlers: EventHandlers,
  maxLineBytes: number,
): Promise<number> {
  const splitter = new EventLineSplitter(source, handlers, maxLineBytes);
  for await (const chunk of stream) splitter.push(chunk as Buffer);
  splitter.end();
  return splitter.line;
}

/** Reads a file (or stdin for `-`) once. */
export function readEventFile(path: string, handlers: EventHandlers, maxLineBytes: number): Promise<number> {
  if (path === '-') return readEventStream(process.stdin, 'stdin', handlers, maxLineBytes);
  return readEventStream(createReadStream(path, { highWaterMark: 256 * 1024 }), path, handlers, maxLineBytes);
}
