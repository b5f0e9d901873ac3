// `malgram serve`: the HTTP API and the Jubatus-compatible MessagePack-RPC endpoint (src/serve).
import type { Command } from 'commander';
import { InputError, readTextFile } from '../../core/errors.js';
import { configFromFlags } from '../../features/config.js';
import { TokenSet } from '../../serve/auth.js';
import { startService } from '../../serve/service.js';
import { log, printJson } from '../io.js';

interface ServeFlags {
  host: string;
  port: string;
  model: string;
  db?: string;
  config?: string;
  rpcConfig?: string;
  rpcPort?: string;
  rpcDatadir?: string;
  tokens?: string;
  bodyLimit: string;
  uploadLimit: string;
  uploadDir?: string;
  rateLimit: string;
  maxBatch: string;
  rules: string;
  alertThreshold: string;
  json?: boolean;
  quiet?: boolean;
}

const UNITS = new Map([
  ['', 1],
  ['k', 1024],
  ['m', 1024 ** 2],
  ['g', 1024 ** 3],
]);

/** `123`, `64k`, `16m`, `1g` (binary units) as bytes. */
export function parseBytes(text: string, flag: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new InputError(`"${text}" is not a size (e.g. 65536, 64k, 16m, 1g)`, flag);
  const n = Number(m[1]) * UNITS.get(m[2].toLowerCase())!;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InputError(`"${text}" is not a positive size`, flag);
  return n;
}

function parseCount(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InputError(`must be an integer from ${min} to ${max}`, flag);
  return n;
}

function parseMargin(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new InputError('must be a number', '--alert-threshold');
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the model over HTTP (JSON API, bearer tokens) and, with --rpc-port, Jubatus-compatible MessagePack-RPC',
    )
    .option('--host <addr>', 'listen address (without tokens only loopback is allowed)', '127.0.0.1')
    .option('--port <n>', 'HTTP port (0 = any free port)', '8080')
    .option(
      '--model <file>',
      'the model file: loaded at start (made from the config when absent), saved on shutdown',
      './malgram.model',
    )
    .option(
      '--config <file>',
      'classifier config (Jubatus JSON) for a new model; default AROW, 3-grams, log_tf/bin',
    )
    .option(
      '--rpc-config <file>',
      "Jubatus classifier config for the RPC endpoint (the served model's config)",
    )
    .option(
      '--rpc-port <n>',
      'serve Jubatus MessagePack-RPC on this TCP port (Jubatus default 9199; 0 = any free port)',
    )
    .option('--rpc-datadir <dir>', "where RPC save/load put model files (default: the model file's folder)")
    .option('--db <file>', 'also keep every trained trace, labelled, in this sample store')
    .option('--tokens <file>', 'bearer tokens, lines "TOKEN read|write" (also MALGRAM_TOKENS)')
    .option('--body-limit <bytes>', 'largest JSON request body', '16m')
    .option('--upload-limit <bytes>', 'largest report upload (streamed to disk)', '1g')
    .option('--upload-dir <dir>', 'where uploads are written while read (default: the system temp folder)')
    .option('--rate-limit <n>', 'requests per client per minute (0 = unlimited)', '60000')
    .option('--max-batch <n>', 'most traces (or RPC datums, or events) in one request', '10000')
    .option('--rules <dir>', 'rules folder: GET/PUT /v1/rules, and the rules of live detection', './rules')
    .option(
      '--alert-threshold <margin>',
      'live detection: model margin above which a process is malicious',
      '0',
    )
    .option('--json', 'print the listening addresses as one JSON document on stdout once ready')
    .option('--quiet', 'no log lines on stderr')
    .addHelpText(
      'after',
      `
Tokens: without --tokens or MALGRAM_TOKENS the server listens on loopback only. Scopes: "read"
(classify, explain, model, dump, rules, alerts, metrics) and "write" (everything, incl. train,
model save/load, rules PUT, events).
Durability: every training batch is written to <model>.journal and flushed before it is
acknowledged; at start the journal is replayed onto the model file; saving empties it.`,
    )
    .action(async (flags: ServeFlags) => {
      const quiet = flags.quiet === true;
      const say = (m: string) => log(`malgram serve: ${m}`, quiet);
      if (flags.config !== undefined && flags.rpcConfig !== undefined)
        throw new InputError('give --config or --rpc-config, not both (one model serves HTTP and RPC)');
      const configPath = flags.rpcConfig ?? flags.config;
      const configJson =
        configPath !== undefined
          ? readTextFile(
              configPath,
              `${flags.rpcConfig !== undefined ? '--rpc-config' : '--config'} ${configPath}`,
            )
          : JSON.stringify(configFromFlags({}));
      const tokens = TokenSet.load(flags.tokens, process.env.MALGRAM_TOKENS);
      const service = await startService({
        host: flags.host,
        port: parseCount(flags.port, '--port', 0, 65535),
        modelPath: flags.model,
        configJson,
        configPath,
        tokens,
        limits: {
          bodyBytes: parseBytes(flags.bodyLimit, '--body-limit'),
          uploadBytes: parseBytes(flags.uploadLimit, '--upload-limit'),
          batch: parseCount(flags.maxBatch, '--max-batch', 1, 10_000_000),
        },
        rateLimitPerMinute: parseCount(flags.rateLimit, '--rate-limit', 0, 1e9),
        uploadDir: flags.uploadDir,
        rpcPort: flags.rpcPort === undefined ? undefined : parseCount(flags.rpcPort, '--rpc-port', 0, 65535),
        rpcDataDir: flags.rpcDatadir,
        rpcMaxFrameBytes: parseBytes(flags.bodyLimit, '--body-limit'),
        rulesDir: flags.rules,
        dbPath: flags.db,
        alertThreshold: parseMargin(flags.alertThreshold),
        log: say,
      });
      if (tokens.size === 0)
        say(`no tokens configured: listening on loopback only (${flags.host}), no authentication`);
      else say(`${tokens.size} token(s) loaded`);
      say(`HTTP API on ${service.httpUrl} (OpenAPI: ${service.httpUrl}/openapi.json)`);
      if (service.rpc) say(`Jubatus MessagePack-RPC on ${service.rpc.address}:${service.rpc.port}`);
      if (flags.json) {
        printJson({
          http: service.httpUrl,
          rpc: service.rpc ? { host: service.rpc.address, port: service.rpc.port } : null,
          model: service.host.model.method,
          samples: service.host.model.sampleCount(),
        });
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          say(`${signal}: saving the model and stopping`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await service.close();
    });
}
