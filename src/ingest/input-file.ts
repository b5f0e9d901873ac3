// Opening an input file for reading: gzip is recognised by its magic bytes (not only by the `.gz`
// name) and decompressed transparently; line formats are split into bounded lines.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../core/errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];
/**
 * Read size for input files: the 64 KiB default costs one thread-pool round trip per 64 KiB, and
 * on a 26 MB JSONL file the reader sat idle for ~20% of its time waiting for them.
 */
const READ_CHUNK_BYTES = 1 << 20;

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fd.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
  } finally {
    await fd.close();
  }
}

/**
 * A stream of the file's (decompressed) bytes. `onProgress` receives the number of raw file
 * bytes consumed so far (compressed bytes for `.gz`), for progress bars.
 */
export async function openInput(path: string, onProgress?: (bytesRead: number) => void): Promise<Readable> {
  let gz: boolean;
  try {
    gz = await startsWithGzipMagic(path);
  } catch (err) {
    throw new InputError(
      `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      path,
    );
  }
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  if (onProgress) {
    let read = 0;
    raw.on('data', (chunk) => {
      read += (chunk as Buffer).length;
      onProgress(read);
    });
  }
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** Default head size for format sniffing: report markers can sit well past the first few KiB. */
export const SNIFF_BYTES = 256 * 1024;

/**
 * Up to `size` first bytes of the file, decompressed when gzip (for format sniffing). A truncated
 * or corrupt gzip stream yields what could be decompressed.
 */
export async function readHead(path: string, size = SNIFF_BYTES): Promise<Buffer> {
  const stream = await openInput(path);
  const parts: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= size) break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_') !== true) throw err;
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** SHA-256 (hex) of the file's raw bytes: the identity of a data set or report file. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** One physical line of a text input (1-based `lineNo`); `tooLong` lines carry no text. */
export interface InputLine {
  lineNo: number;
  text: string;
  tooLong: boolean;
  /**
   * The line's bytes (CR stripped) instead of `text`, for lines longer than splitLines' `rawAbove`;
   * valid until the next line is read (the buffer is reused).
   */
  bytes?: Buffer;
}

/** Default bound of one line of a line format (CSV row, JSONL sample). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines (`\n` or `\r\n`), never holding more than `maxLineBytes` of one
 * line: a longer line is yielded once as `tooLong` and its bytes are dropped. Lines longer than
 * `rawAbove` bytes come as `bytes`, not decoded (a caller that can read them without one big string).
 */
export async function* splitLines(
  stream: Readable,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  rawAbove = Number.POSITIVE_INFINITY,
): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let partLength = 0;
  let tooLong = false;
  let lineNo = 0;
  // a line spanning chunks is put together in one reused buffer: a fresh buffer per long line
  // costs page faults on every one (it is decoded or read before the next line is)
  let assembly = Buffer.alloc(0);
  const assemble = (last: Buffer): Buffer => {
    const length = partLength + last.length;
    if (assembly.length < length) assembly = Buffer.allocUnsafe(Math.max(length, 2 * assembly.length));
    let at = 0;
    for (const p of parts) at += p.copy(assembly, at);
    last.copy(assembly, at);
    return assembly.subarray(0, length);
  };
  const finish = (last: Buffer): InputLine => {
    lineNo++;
    if (tooLong) {
      parts = [];
      partLength = 0;
      tooLong = false;
      return { lineNo, text: '', tooLong: true };
    }
    const whole = parts.length === 0 ? last : assemble(last);
    parts = [];
    partLength = 0;
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end--;
    if (end > rawAbove) return { lineNo, text: '', tooLong: false, bytes: whole.subarray(0, end) };
    return { lineNo, text: whole.toString('utf8', 0, end), tooLong: false };
  };
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = buf.subarray(start, nl);
      if (!tooLong && partLength + piece.length > maxLineBytes) tooLong = true;
      yield finish(tooLong ? Buffer.alloc(0) : piece);
      start = nl + 1;
    }
    if (start < buf.length && !tooLong) {
      const rest = buf.subarray(start);
      if (partLength + rest.length > maxLineBytes) {
        tooLong = true;
        parts = [];
        partLength = 0;
      } else {
        parts.push(Buffer.from(rest));
        partLength += rest.length;
      }
    }
  }
  if (partLength > 0 || tooLong) yield finish(Buffer.alloc(0));
}
