// Shared output helpers for commands: JSON to stdout, logs to stderr, progress bars only on a TTY.
import cliProgress from 'cli-progress';

/** Writes one JSON document to stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A log line on stderr unless quiet. */
export function log(message: string, quiet = false): void {
  if (!quiet) process.stderr.write(`${message}\n`);
}

/** Progress bars are shown only when stderr is a terminal and the user did not ask for quiet. */
export function wantProgress(quiet?: boolean): boolean {
  return !quiet && process.stderr.isTTY === true && process.env.CI !== 'true';
}

export interface Progress {
  /** Advance by `delta` units (files, bytes, samples...). */
  tick(delta?: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}

const silent: Progress = { tick() {}, setTotal() {}, stop() {} };

/** A progress bar with rate and ETA on stderr; a no-op when not wanted. */
export function progressBar(label: string, total: number, quiet?: boolean, unit = 'items'): Progress {
  if (!wantProgress(quiet)) return silent;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: '0' });
  return {
    tick(delta = 1, payload) {
      value += delta;
      const secs = (Date.now() - started) / 1000;
      bar.update(value, { ...payload, rate: secs > 0 ? Math.round(value / secs).toString() : '0' });
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
    },
  };
}
