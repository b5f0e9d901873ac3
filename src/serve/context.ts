// What every route group gets: the served model, metrics and the server's limits and folders.
import type { ServerMetrics } from './metrics.js';
import type { ModelHost } from './model-host.js';

export interface ServeLimits {
  /** Largest JSON request body (bytes). */
  bodyBytes: number;
  /** Largest report upload (bytes), streamed to `uploadDir`. */
  uploadBytes: number;
  /** Most traces in one request. */
  batch: number;
}

export interface ServeContext {
  host: ModelHost;
  metrics: ServerMetrics;
  limits: ServeLimits;
  /** Where `POST /v1/model/save|load` put and find named model files. */
  modelDir: string;
  /** Where report uploads are written while they are read. */
  uploadDir: string;
  log: (message: string) => void;
}
