// Prometheus metrics (text exposition format, served at GET /metrics) through prom-client:
// HTTP requests and their latency by route, RPC calls and their latency by method, samples
// trained, events and alerts of the live detector, and the process's own (memory, CPU, event loop).
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'malgram_http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpLatency = new Histogram({
    name: 'malgram_http_request_duration_seconds',
    help: 'HTTP request latency (seconds), by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rpcCalls = new Counter({
    name: 'malgram_rpc_calls_total',
    help: 'MessagePack-RPC calls answered, by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rpcLatency = new Histogram({
    name: 'malgram_rpc_call_duration_seconds',
    help: 'MessagePack-RPC call latency (seconds), by method',
    labelNames: ['method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly samplesTrained = new Counter({
    name: 'malgram_samples_trained_total',
    help: 'Training samples applied to the model (HTTP and RPC)',
    registers: [this.registry],
  });
  readonly samplesClassified = new Counter({
    name: 'malgram_samples_classified_total',
    help: 'Samples classified (HTTP and RPC)',
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'malgram_events_total',
    help: 'Live events passed to the detector',
    registers: [this.registry],
  });
  readonly alerts = new Counter({
    name: 'malgram_alerts_total',
    help: 'Alerts raised by the live detector, by level',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'malgram_' });
  }

  /** Records one answered RPC call (unknown method names are counted under one label value). */
  rpcCall(method: string, seconds: number, error: boolean, known: boolean): void {
    const name = known ? method : '(unknown)';
    this.rpcCalls.inc({ method: name, outcome: error ? 'error' : 'ok' });
    this.rpcLatency.observe({ method: name }, seconds);
  }
}
