// Events from a growing file, like `tail -f` (more exactly `tail -F`): read what is there, then poll
// for appended bytes.
// - Truncation (the file got shorter than what we read): start again from its beginning.
// - Rotation (the path now names another file, e.g. after `mv log log.1; touch log`): finish the
//   old file, then read the new one from its beginning. A missing path is retried until it appears.
// Line numbers restart at 1 for each new file or after a truncation (the report says which).
import { type FileHandle, open, stat } from 'node:fs/promises';
import { type EventHandlers, EventLineSplitter } from './lines.js';

export interface FollowOptions {
  maxLineBytes: number;
  /** Poll interval in milliseconds (default 200). */
  pollMs?: number;
  /** Start at the end of the existing file instead of its beginning. */
  fromEnd?: boolean;
  signal: AbortSignal;
  /** Told about truncation and rotation. */
  onNotice?: (message: string) => void;
}

const CHUNK = 256 * 1024;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Follows `path` until the signal aborts. */
export async function followEventFile(
  path: string,
  handlers: EventHandlers,
  opts: FollowOptions,
): Promise<void> {
  const pollMs = opts.pollMs ?? 200;
  const buf = new Uint8Array(CHUNK);
  let handle: FileHandle | undefined;
  let ino = -1;
  let position = 0;
  let generation = 0;
  let splitter = new EventLineSplitter(path, handlers, opts.maxLineBytes);
  let first = true;

  const drain = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle!.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) return total;
      position += bytesRead;
      total += bytesRead;
      splitter.push(Buffer.from(buf.buffer, 0, bytesRead));
    }
  };
  const restart = (why: string) => {
    splitter.end();
    generation++;
    splitter = new EventLineSplitter(`${path}#${generation}`, handlers, opts.maxLineBytes);
    opts.onNotice?.(`${path}: ${why}; reading it from the start (lines now named ${path}#${generation}:N)`);
  };

  try {
    while (!opts.signal.aborted) {
      if (!handle) {
        try {
          handle = await open(path, 'r');
          const st = await handle.stat();
          ino = st.ino;
          position = first && opts.fromEnd ? st.size : 0;
          if (!first) restart('the file was replaced (rotated)');
          first = false;
        } catch {
          await sleep(pollMs, opts.signal);
          continue;
        }
      }
      await drain();
      const st = await handle.stat();
      if (st.size < position) {
        position = 0;
        restart('the file was truncated');
        continue;
      }
      let current: number | undefined;
      try {
        current = (await stat(path)).ino;
      } catch {
        current = undefined;
      }
      if (current !== ino) {
        // Rotated or removed: finish the old file, then reopen the path (when it exists again).
        await drain();
        await handle.close();
        handle = undefined;
        if (current !== undefined) continue;
      }
      await sleep(pollMs, opts.signal);
    }
  } finally {
    splitter.end();
    await handle?.close();
  }
}
