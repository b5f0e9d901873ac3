// Response hooks: what an endpoint agent would do on an alert (suspend or kill the process,
// isolate the host): run a command with the alert JSON on its stdin (`--on-alert-exec CMD`, run
// by the shell: CMD is the operator's, the alert is only ever data on stdin, never in the command
// line) and/or POST the alert to a URL (`--on-alert-webhook URL`).
// - Rate limit: a token bucket, at most `perMinute` responses per minute (bursts up to that many);
//   alerts beyond it are not acted on, and counted (`limited`).
// - `minLevel`: only alerts at or above this verdict trigger a response (default malicious).
// - Dry run: nothing runs; each response it would make is printed on stderr.
import { spawn } from 'node:child_process';
import type { Alert } from './alerts.js';
import { WebhookSink } from './sinks/webhook.js';

export interface ResponseOptions {
  exec?: string;
  webhook?: string;
  perMinute: number;
  dryRun: boolean;
  minVerdict: 'suspicious' | 'malicious';
  /** Longest a command may run before it is killed (ms). */
  timeoutMs?: number;
  log: (message: string) => void;
}

export class ResponseHook {
  private tokens: number;
  private last = Date.now();
  private readonly pending = new Set<Promise<void>>();
  private readonly webhook?: WebhookSink;
  acted = 0;
  limited = 0;
  failed = 0;

  constructor(private readonly opts: ResponseOptions) {
    this.tokens = opts.perMinute;
    if (opts.webhook && !opts.dryRun) this.webhook = new WebhookSink(opts.webhook, opts.log);
  }

  private take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      this.opts.perMinute,
      this.tokens + ((now - this.last) / 60000) * this.opts.perMinute,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Considers one alert. */
  onAlert(alert: Alert): void {
    if (!this.opts.exec && !this.opts.webhook) return;
    if (this.opts.minVerdict === 'malicious' && alert.verdict !== 'malicious') return;
    if (!this.take()) {
      this.limited++;
      return;
    }
    this.acted++;
    const what = `${alert.verdict} ${alert.host} pid ${alert.pid}`;
    if (this.opts.dryRun) {
      if (this.opts.exec)
        this.opts.log(`dry-run: would run \`${this.opts.exec}\` with the alert (${what}) on stdin`);
      if (this.opts.webhook) this.opts.log(`dry-run: would POST the alert (${what}) to ${this.opts.webhook}`);
      return;
    }
    this.webhook?.send(alert);
    if (this.opts.exec) this.run(this.opts.exec, alert);
  }

  private run(cmd: string, alert: Alert): void {
    const done = new Promise<void>((resolve) => {
      const child = spawn(cmd, { shell: true, stdio: ['pipe', 'ignore', 'inherit'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.timeoutMs ?? 30000);
      child.on('error', (err) => {
        this.failed++;
        this.opts.log(`response command failed to start: ${err.message}`);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) {
          this.failed++;
          this.opts.log(`response command exited with status ${code} for ${alert.host} pid ${alert.pid}`);
        }
        resolve();
      });
      child.stdin.on('error', () => {}); // the command may not read its stdin
      child.stdin.end(`${JSON.stringify(alert)}\n`);
    });
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.webhook?.close();
  }
}
