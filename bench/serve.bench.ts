// `npm run bench -- serve`: classify throughput and latency of `malgram serve`, driven from this
// process (autocannon for HTTP, our MessagePack-RPC client for RPC) against the server in its own
// process on loopback. Traces: 100 API calls each, made from malbehavd rows (each row's calls
// repeated cyclically to 100); the model is trained on the whole data set first.
// Baseline (same run): in-process `model.classify` on the same traces, no network; ratios are
// printed against it because the shared machine's absolute speed varies between runs.
// Targets (issue 7): >= 5,000 classified traces/s over HTTP; p99 < 20 ms at 64 clients.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { traceFromJson } from '../src/ingest/readers/jsonl.js';
import { openSamples } from '../src/ingest/source.js';
import { configFromFlags, createModel } from '../src/learn/model.js';
import { RpcClient } from '../src/serve/rpc/client.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 8);
const dataCsv = fileURLToPath(new URL('../../shared/data/malbehavd-v1.csv', import.meta.url));
const entry = fileURLToPath(new URL('../test/helpers/cli-entry.ts', import.meta.url));

interface JsonTrace {
  id: string;
  label?: string;
  calls: string[];
}

/** Mean of per-second samples with its 95% interval (normal approximation over the samples). */
function interval(mean: number, sd: number, n: number): string {
  const half = n > 1 ? (1.96 * sd) / Math.sqrt(n) : Number.NaN;
  return `${mean.toFixed(0)}/s [${(mean - half).toFixed(0)}–${(mean + half).toFixed(0)}, 95% CI, ${n} one-second samples]`;
}

async function loadTraces(): Promise<JsonTrace[]> {
  const out: JsonTrace[] = [];
  for await (const t of openSamples({ data: [dataCsv], format: 'csv', detail: 'api' })) {
    const calls = t.processes.flatMap((p) => p.calls.map((c) => c.api));
    out.push({ id: t.id, label: t.label, calls });
  }
  return out;
}

function hundredCalls(t: JsonTrace): JsonTrace {
  const calls = Array.from({ length: 100 }, (_, i) => t.calls[i % t.calls.length]);
  return { id: t.id, calls };
}

function startServer(
  modelPath: string,
): Promise<{ url: string; rpcPort: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        entry,
        'serve',
        '--port',
        '0',
        '--rpc-port',
        '0',
        '--json',
        '--quiet',
        '--rate-limit',
        '0',
        '--model',
        modelPath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MALGRAM_TOKENS: '' } },
    );
    let out = '';
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      try {
        const info = JSON.parse(out);
        const stop = () => {
          child.kill('SIGTERM');
          return exited;
        };
        resolve({ url: info.http, rpcPort: info.rpc.port, stop });
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

async function httpRun(url: string, bodies: string[], connections: number, tracesPerRequest: number) {
  const result = await autocannon({
    url: `${url}/v1/classify`,
    connections,
    duration: DURATION_S,
    requests: bodies.map((body) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })),
  });
  const ok = result['2xx'];
  console.log(
    `HTTP classify, ${connections} client(s), ${tracesPerRequest} trace(s)/request: ` +
      `${interval(result.requests.mean, result.requests.stddev, Math.round(result.duration))} requests, ` +
      `${(result.requests.mean * tracesPerRequest).toFixed(0)} traces/s; ` +
      `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ` +
      `${ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors`,
  );
  return { tracesPerSecond: result.requests.mean * tracesPerRequest, p99: result.latency.p99 };
}

async function rpcRun(port: number, datums: unknown[], clients: number) {
  const conns = await Promise.all(Array.from({ length: clients }, () => RpcClient.connect(port)));
  const latencies: number[] = [];
  const perSecond = new Map<number, number>();
  const started = performance.now();
  const end = started + DURATION_S * 1000;
  let errors = 0;
  await Promise.all(
    conns.map(async (c, ci) => {
      let i = ci;
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await c.call('classify', '', [datums[i++ % datums.length] as never]);
        } catch {
          errors++;
        }
        const t1 = performance.now();
        latencies.push(t1 - t0);
        const second = Math.floor((t1 - started) / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
    }),
  );
  for (const c of conns) c.close();
  const samples = [...perSecond.entries()].filter(([s]) => s < DURATION_S).map(([, n]) => n);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(
    `RPC classify, ${clients} client(s), 1 datum/call: ${interval(mean, sd, samples.length)} calls; ` +
      `latency p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms; ${latencies.length} calls, ${errors} errors`,
  );
  return { tracesPerSecond: mean, p99: pct(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), 'malgram-bench-serve-'));
const all = await loadTraces();
const server = await startServer(join(dir, 'bench.model'));
try {
  // train on the whole data set (batches of 100)
  for (let i = 0; i < all.length; i += 100) {
    const res = await fetch(`${server.url}/v1/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traces: all.slice(i, i + 100) }),
    });
    if (res.status !== 200) throw new Error(`train: ${res.status} ${await res.text()}`);
  }
  const queries = all.filter((_, i) => i % 40 === 0).map(hundredCalls); // 65 traces, both labels
  console.log(`model trained on ${all.length} traces; ${queries.length} distinct 100-call query traces`);

  // baseline: the same model in this process, no network
  const local = createModel(JSON.stringify(configFromFlags({})));
  for (const t of all) local.train(traceFromJson(t, { detail: 'api', processes: 'tree' }), t.label!);
  const parsed = queries.map((t) => traceFromJson(t, { detail: 'full', processes: 'tree' }));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) local.classify(parsed[n++ % parsed.length]);
  const baseline = n / ((performance.now() - t0) / 1000);
  console.log(`baseline, in-process model.classify (no HTTP): ${baseline.toFixed(0)} traces/s (${n} in 2 s)`);

  const single = queries.map((t) => JSON.stringify({ traces: [t] }));
  const batched = Array.from({ length: 16 }, (_, i) =>
    JSON.stringify({ traces: Array.from({ length: 16 }, (_, j) => queries[(i * 16 + j) % queries.length]) }),
  );
  const runs = [
    await httpRun(server.url, single, 1, 1),
    await httpRun(server.url, single, 64, 1),
    await httpRun(server.url, batched, 64, 16),
  ];
  const datums = queries.map((t) => {
    const d = local.traceDatum(traceFromJson(t, { detail: 'api', processes: 'tree' }));
    return [d.stringValues, d.numValues, []];
  });
  const rpc = [await rpcRun(server.rpcPort, datums, 1), await rpcRun(server.rpcPort, datums, 64)];
  console.log('ratios to the in-process baseline (traces/s):');
  const names = [
    'HTTP 1 client',
    'HTTP 64 clients',
    'HTTP 64 clients x16 batch',
    'RPC 1 client',
    'RPC 64 clients',
  ];
  [...runs, ...rpc].forEach((r, i) => {
    console.log(`  ${names[i]}: ${(r.tracesPerSecond / baseline).toFixed(3)} (p99 ${r.p99.toFixed(2)} ms)`);
  });
  console.log(
    `targets: >= 5000 traces/s over HTTP: ${Math.max(...runs.map((r) => r.tracesPerSecond)) >= 5000 ? 'met' : 'NOT met'}; ` +
      `p99 < 20 ms at 64 clients (1 trace/request): ${runs[1].p99 < 20 ? 'met' : 'NOT met'}`,
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
