// Alerts as JSON lines on stdout, or appended to a file (`--alerts FILE`; opened in append mode,
// one write per alert line, so a reader of the file never sees half a line from us).
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Alert } from '../alerts.js';
import type { AlertSink } from './sink.js';

export class JsonLinesSink implements AlertSink {
  private constructor(
    private readonly out: Writable,
    private readonly owned: boolean,
  ) {}

  static stdout(): JsonLinesSink {
    return new JsonLinesSink(process.stdout, false);
  }

  static file(path: string): JsonLinesSink {
    const out: WriteStream = createWriteStream(path, { flags: 'a' });
    return new JsonLinesSink(out, true);
  }

  send(alert: Alert): void {
    this.out.write(`${JSON.stringify(alert)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.owned) {
        this.out.once('error', reject);
        this.out.end(() => resolve());
      } else if (this.out.writableNeedDrain) this.out.once('drain', () => resolve());
      else resolve();
    });
  }
}
