// Where alerts go. Every sink takes alerts synchronously (the detector never waits) and flushes on close.
import type { Alert } from '../alerts.js';

export interface AlertSink {
  send(alert: Alert): void;
  /** Waits for everything sent to be delivered (or given up on). */
  close(): Promise<void>;
}

/** Reports a delivery problem (one line on stderr by default). */
export type SinkErrorHandler = (message: string) => void;
