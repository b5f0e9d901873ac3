// Alerts POSTed as JSON to a URL (`--webhook URL`), one request per alert, in order, at most
// `maxQueue` waiting (further alerts are dropped and counted: a dead receiver must not make the
// detector grow without bound). A failed delivery is reported and not retried.
import type { Alert } from '../alerts.js';
import type { AlertSink, SinkErrorHandler } from './sink.js';

export class WebhookSink implements AlertSink {
  private queue: Alert[] = [];
  private running: Promise<void> | null = null;
  delivered = 0;
  failed = 0;
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly onError: SinkErrorHandler,
    private readonly maxQueue = 1000,
    private readonly timeoutMs = 5000,
  ) {
    new URL(url); // throws on a malformed URL
  }

  send(alert: Alert): void {
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return;
    }
    this.queue.push(alert);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const alert = this.queue.shift()!;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) this.delivered++;
        else {
          this.failed++;
          this.onError(`webhook ${this.url}: HTTP ${res.status}`);
        }
      } catch (err) {
        this.failed++;
        this.onError(`webhook ${this.url}: ${(err as Error).message}`);
      }
    }
    this.running = null;
  }

  async close(): Promise<void> {
    while (this.running) await this.running;
  }
}
