// The real-time detector behind POST /v1/events and GET /v1/alerts: src/detect's Detector over
// the served model (and the rules folder's rules, when there are any). The detector caches the
// model's weights per n-gram, so it is rebuilt when the model changes (training, load, clear);
// per-process state then starts afresh. Alerts go to the events answer and to every alert
// subscriber (the SSE streams).
import { existsSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { Alert } from '../detect/alerts.js';
import { Detector, type StreamingRules } from '../detect/detector.js';
import type { DetectEvent } from '../detect/events.js';
import { featureSpecOf } from '../detect/feature-spec.js';
import { defaultPositive } from '../detect/policy.js';
import { loadStreamingRules } from '../detect/rules-adapter.js';
import type { Model } from '../learn/model-api.js';
import type { ModelHost } from './model-host.js';

export interface LiveDetectorOptions {
  rulesDir?: string;
  maxProcesses: number;
  maxNgramsPerProcess: number;
  /** Model margin above which a process is malicious. */
  threshold: number;
  onAlert: (alert: Alert) => void;
  log: (message: string) => void;
}

export class LiveDetector {
  private detector: Detector | undefined;
  private builtFor: { model: Model; updates: number } | undefined;
  private rules: StreamingRules | undefined;
  private rulesLoaded = false;
  /** Alerts of the events being handled. */
  private raised: Alert[] | undefined;

  constructor(
    private readonly host: ModelHost,
    private readonly opts: LiveDetectorOptions,
  ) {}

  /** The rules changed on disk: reload them with the next events. */
  rulesChanged(): void {
    this.rulesLoaded = false;
    this.detector = undefined;
  }

  private current(): Detector {
    const model = this.host.model;
    if (this.detector && this.builtFor?.model === model && this.builtFor.updates === this.host.updateCount)
      return this.detector;
    if (!this.rulesLoaded) {
      this.rules = undefined;
      if (this.opts.rulesDir !== undefined && existsSync(this.opts.rulesDir)) {
        try {
          this.rules = loadStreamingRules([this.opts.rulesDir]).rules;
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          this.opts.log(`live detection without rules: ${err.message}`);
        }
      }
      this.rulesLoaded = true;
    }
    const labels = model.labels();
    const scored = labels.length >= 2 ? featureSpecOf(model) : undefined;
    if (!scored && !this.rules)
      throw new InputError('the model has fewer than two labels and there are no rules', 'events');
    this.detector = new Detector(
      scored ? { model, spec: scored.spec } : undefined,
      {
        limits: {
          maxProcesses: this.opts.maxProcesses,
          maxNgramsPerUnit: this.opts.maxNgramsPerProcess,
          tree: false,
        },
        policy: { positive: defaultPositive(labels), threshold: this.opts.threshold },
        rules: this.rules,
        collapseRepeats: scored?.collapseRepeats,
      },
      (alert) => {
        this.raised?.push(alert);
        this.opts.onAlert(alert);
      },
    );
    this.builtFor = { model, updates: this.host.updateCount };
    return this.detector;
  }

  /** Passes the events through the detector in order; returns the alerts they raised. */
  handle(events: DetectEvent[]): Alert[] {
    const detector = this.current();
    const raised: Alert[] = [];
    this.raised = raised;
    try {
      for (const e of events) detector.handle(e);
    } finally {
      this.raised = undefined;
    }
    return raised;
  }
}
