// Report uploads go to a temporary file, never into memory: the request body is piped to disk
// with a byte bound, then read by the streaming readers like any input file.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The upload was larger than allowed (answered with 413). */
export class UploadTooLargeError extends Error {
  readonly statusCode = 413;
}

class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new UploadTooLargeError(`upload larger than ${this.limit} bytes`));
    else done(null, chunk);
  }
}

/**
 * Writes `body` to a new file in `dir` (at most `limit` bytes), runs `use(path)`, and removes the
 * file whatever happens.
 */
export async function withUploadedFile<T>(
  body: NodeJS.ReadableStream,
  dir: string,
  limit: number,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const path = join(dir, `malgram-upload-${randomUUID()}`);
  try {
    await pipeline(body, new ByteLimit(limit), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    return await use(path);
  } finally {
    await rm(path, { force: true });
  }
}
