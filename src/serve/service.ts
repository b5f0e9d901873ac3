// `malgram serve` as a whole: the model host, the HTTP API and (optionally) the Jubatus-compatible
// MessagePack-RPC endpoint, sharing one model; started and stopped together.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InputError } from '../core/errors.js';
import { isLoopback, type TokenSet } from './auth.js';
import type { ServeContext, ServeLimits } from './context.js';
import { LiveDetector } from './live-detector.js';
import { ServerMetrics } from './metrics.js';
import { ModelHost } from './model-host.js';
import { AlertBroadcaster, eventsRoutes } from './routes/events.js';
import { rulesRoutes } from './routes/rules.js';
import { uiRoutes } from './routes/ui-routes.js';
import { classifierMethods } from './rpc/classifier-service.js';
import { type RpcMethod, type RunningRpcServer, startRpcServer } from './rpc/server.js';
import { SampleArchive } from './sample-archive.js';
import { buildHttpApp, type HttpOptions } from './server.js';

export interface ServeOptions {
  host: string;
  port: number;
  modelPath: string;
  /** Config JSON for a new model (and, for an existing one, to check against). */
  configJson?: string;
  configPath?: string;
  tokens: TokenSet;
  limits: ServeLimits;
  rateLimitPerMinute: number;
  uploadDir?: string;
  /** MessagePack-RPC port (0 = any free port); absent = no RPC endpoint. */
  rpcPort?: number;
  /** Where RPC save/load put model files (default: the model's folder). */
  rpcDataDir?: string;
  /** Largest RPC message (bytes). */
  rpcMaxFrameBytes: number;
  /** Sample store where trained traces are also kept (optional). */
  dbPath?: string;
  /** The rules folder (GET/PUT /v1/rules; the live detector's rules). */
  rulesDir: string;
  /** Live detection: model margin above which a process is malicious. */
  alertThreshold: number;
  /** More route groups (e.g. the web UI's), registered after the API's. */
  routeGroups?: HttpOptions['routeGroups'];
  log: (message: string) => void;
}

export interface RunningService {
  readonly http: FastifyInstance;
  readonly httpUrl: string;
  readonly rpc?: RunningRpcServer;
  readonly host: ModelHost;
  /** Stops listening, saves the model (a checkpoint) and closes the journal. */
  close(): Promise<void>;
}

export async function startService(opts: ServeOptions): Promise<RunningService> {
  if (opts.tokens.size === 0 && !isLoopback(opts.host)) {
    throw new InputError(
      `refusing to listen on ${opts.host} without tokens: give --tokens FILE or MALGRAM_TOKENS, or listen on 127.0.0.1`,
      '--host',
    );
  }
  const metrics = new ServerMetrics();
  const modelPath = resolve(opts.modelPath);
  mkdirSync(dirname(modelPath), { recursive: true });
  const archive = opts.dbPath !== undefined ? SampleArchive.open(opts.dbPath) : undefined;
  const host = ModelHost.open({
    modelPath,
    configJson: opts.configJson,
    log: opts.log,
    onTrained: (n) => metrics.samplesTrained.inc(n),
    onTrainedTraces: archive
      ? (items) => {
          try {
            archive.add(items);
          } catch (err) {
            opts.log(`could not keep trained traces in ${opts.dbPath}: ${(err as Error).message}`);
          }
        }
      : undefined,
  });
  const uploadDir = resolve(opts.uploadDir ?? tmpdir());
  mkdirSync(uploadDir, { recursive: true });
  const ctx: ServeContext = {
    host,
    metrics,
    limits: opts.limits,
    modelDir: dirname(modelPath),
    uploadDir,
    log: opts.log,
  };
  let http: FastifyInstance | undefined;
  let rpc: RunningRpcServer | undefined;
  try {
    const broadcaster = new AlertBroadcaster();
    const rulesDir = resolve(opts.rulesDir);
    const live = new LiveDetector(host, {
      rulesDir,
      maxProcesses: 100_000,
      maxNgramsPerProcess: 100_000,
      threshold: opts.alertThreshold,
      log: opts.log,
      onAlert: (alert) => {
        metrics.alerts.inc({ level: alert.verdict });
        broadcaster.publish(alert);
      },
    });
    http = await buildHttpApp(ctx, {
      tokens: opts.tokens,
      rateLimitPerMinute: opts.rateLimitPerMinute,
      routeGroups: [
        eventsRoutes(live, broadcaster),
        rulesRoutes({ dir: rulesDir, onChange: () => live.rulesChanged() }),
        uiRoutes({ db: opts.dbPath, rulesDir, broadcaster }),
        ...(opts.routeGroups ?? []),
      ],
    });
    await http.listen({ host: opts.host, port: opts.port });
    if (opts.rpcPort !== undefined) {
      // filled once the port is known (save/load file names and status keys carry it)
      const methods = new Map<string, RpcMethod>();
      rpc = await startRpcServer(methods, {
        host: opts.host,
        port: opts.rpcPort,
        maxFrameBytes: opts.rpcMaxFrameBytes,
        maxConnections: 1024,
        log: opts.log,
        onCall: (method, seconds, error) => metrics.rpcCall(method, seconds, error, methods.has(method)),
      });
      for (const [name, fn] of classifierMethods(host, {
        dataDir: resolve(opts.rpcDataDir ?? dirname(modelPath)),
        ip: rpc.address,
        port: rpc.port,
        configPath: opts.configPath,
        maxBatch: opts.limits.batch,
      }))
        methods.set(name, fn);
    }
  } catch (err) {
    await http?.close();
    await rpc?.close();
    host.close();
    archive?.close();
    throw err;
  }
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const app = http;
  return {
    http: app,
    httpUrl: `http://${urlHost}:${port}`,
    rpc,
    host,
    async close() {
      await app.close();
      await rpc?.close();
      host.checkpoint();
      host.close();
      archive?.close();
    },
  };
}
