// `malgram watch` as a function: inputs → detector → sinks and response hooks, until the inputs
// end (a file or stdin read to its end) or the process is told to stop (SIGINT/SIGTERM; with
// --follow or a listener the run only ends that way).

import type { Model } from '../learn/model-api.js';
import type { Alert } from './alerts.js';
import { Detector, type DetectorOptions } from './detector.js';
import type { DetectEvent } from './events.js';
import { parseListenAddress } from './inputs/address.js';
import { followEventFile } from './inputs/follow.js';
import { listenHttp } from './inputs/http.js';
import type { EventHandlers } from './inputs/lines.js';
import { readEventFile } from './inputs/stream.js';
import { listenTcp, type RunningListener } from './inputs/tcp.js';
import type { ResponseHook } from './response.js';
import type { NgramFeatureSpec } from './scorer.js';
import type { AlertSink } from './sinks/sink.js';

export interface WatchInputs {
  /** A file or `-` (stdin); read once unless `follow`. */
  file?: string;
  follow?: boolean;
  fromEnd?: boolean;
  listenTcp?: string;
  listenHttp?: string;
  maxLineBytes: number;
}

export interface WatchRun {
  model?: { model: Model; spec: NgramFeatureSpec };
  detector: DetectorOptions;
  inputs: WatchInputs;
  sinks: AlertSink[];
  response?: ResponseHook;
  /** Log lines (stderr). */
  log: (message: string) => void;
  /** Most malformed-line messages printed (the rest are only counted). */
  maxMalformedMessages?: number;
}

export interface WatchResult {
  summary: Record<string, number>;
}

export async function runWatch(run: WatchRun): Promise<WatchResult> {
  let malformed = 0;
  const maxMessages = run.maxMalformedMessages ?? 100;
  const onAlert = (alert: Alert) => {
    for (const s of run.sinks) s.send(alert);
    run.response?.onAlert(alert);
  };
  const detector = new Detector(run.model, run.detector, onAlert);
  const handlers: EventHandlers = {
    onEvent: (event: DetectEvent) => detector.handle(event),
    onMalformed: (where, reason) => {
      malformed++;
      if (malformed <= maxMessages) run.log(`malgram: skipped ${where}: ${reason}`);
      else if (malformed === maxMessages + 1)
        run.log('malgram: more malformed lines; only counting them now');
    },
  };

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const listeners: RunningListener[] = [];
  try {
    const { inputs } = run;
    if (inputs.listenTcp) {
      const l = await listenTcp(
        parseListenAddress(inputs.listenTcp, '--listen-tcp'),
        handlers,
        inputs.maxLineBytes,
      );
      listeners.push(l);
      run.log(`listening for events on tcp ${l.address.host}:${l.address.port}`);
    }
    if (inputs.listenHttp) {
      const l = await listenHttp(
        parseListenAddress(inputs.listenHttp, '--listen-http'),
        handlers,
        inputs.maxLineBytes,
      );
      listeners.push(l);
      run.log(`listening for events on http ${l.address.host}:${l.address.port} (POST /v1/events)`);
    }
    const waits: Promise<unknown>[] = [];
    if (inputs.file !== undefined) {
      if (inputs.follow && inputs.file !== '-') {
        waits.push(
          followEventFile(inputs.file, handlers, {
            maxLineBytes: inputs.maxLineBytes,
            fromEnd: inputs.fromEnd,
            signal: stop.signal,
            onNotice: run.log,
          }),
        );
      } else {
        const reading = readEventFile(inputs.file, handlers, inputs.maxLineBytes);
        // Without listeners the run ends with the input; with them it goes on until stopped.
        if (listeners.length === 0) reading.then(onSignal, onSignal);
        waits.push(reading);
      }
    }
    waits.push(
      new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true })),
    );
    await Promise.all(waits);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const l of listeners) await l.close();
    await run.response?.close();
    for (const s of run.sinks) await s.close();
  }
  const summary = detector.summary(malformed);
  if (run.response) {
    summary.responses = run.response.acted;
    summary.responses_rate_limited = run.response.limited;
    summary.responses_failed = run.response.failed;
  }
  return { summary };
}
