// `malgram watch [--model FILE] [--rules DIR] [--input FILE|-] [--follow] [--listen-tcp HOST:PORT]
// [--listen-http HOST:PORT] ...`: real-time detection over an events stream (src/detect/).
// Alerts are JSON lines on stdout (or --alerts FILE / --webhook URL); the summary goes to stderr.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { cannotRead, InputError } from '../../core/errors.js';
import type { DetectorOptions } from '../../detect/detector.js';
import { DEFAULT_MAX_LINE_BYTES } from '../../detect/events.js';
import { featureSpecOf } from '../../detect/feature-spec.js';
import { defaultPositive } from '../../detect/policy.js';
import { ResponseHook } from '../../detect/response.js';
import { loadStreamingRules } from '../../detect/rules-adapter.js';
import type { AlertSink } from '../../detect/sinks/sink.js';
import { JsonLinesSink } from '../../detect/sinks/stream.js';
import { WebhookSink } from '../../detect/sinks/webhook.js';
import { runWatch } from '../../detect/watch.js';
import type { Model } from '../../learn/model-api.js';
import { log } from '../io.js';

interface WatchFlags {
  model?: string;
  rules?: string[];
  input?: string;
  follow?: boolean;
  fromEnd?: boolean;
  listenTcp?: string;
  listenHttp?: string;
  threshold?: string;
  suspiciousThreshold?: string;
  positive?: string;
  maxProcesses: string;
  maxNgramsPerProcess: string;
  maxLineBytes: string;
  tree?: boolean;
  top: string;
  alerts?: string;
  webhook?: string;
  onAlertExec?: string;
  onAlertWebhook?: string;
  hookRate: string;
  hookOn: 'suspicious' | 'malicious';
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function number(text: string, flag: string, opts: { integer?: boolean; min?: number } = {}): number {
  const v = Number(text);
  if (
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min)
  ) {
    throw new InputError(
      `expected ${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got "${text}"`,
      flag,
    );
  }
  return v;
}

function checkUrl(url: string, flag: string): void {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new InputError(`not an http(s) URL: "${url}"`, flag);
  }
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('real-time detection: score a live stream of API-call events per process and raise alerts')
    .option('--model <file>', 'model file (trained with the native n-gram rule, global weight bin)')
    .option('--rules <paths...>', 'rule files or folders (YAML)')
    .option('--input <file>', 'events file, or - for stdin (the default when no listener is given)')
    .option('--follow', 'keep reading the input file as it grows (like tail -F)')
    .option('--from-end', 'with --follow: start at the end of the existing file')
    .option('--listen-tcp <host:port>', 'accept newline-delimited events over TCP (port only = 127.0.0.1)')
    .option('--listen-http <host:port>', 'accept POST /v1/events with NDJSON bodies (port only = 127.0.0.1)')
    .option(
      '--threshold <margin>',
      "alert (malicious) when score(positive) - max other score exceeds this (default: the model's, chosen by train --alert-fpr; else 0)",
    )
    .option('--suspicious-threshold <margin>', 'also alert (suspicious) above this lower margin')
    .option('--positive <label>', 'the malware label (default: malware if known, else 1)')
    .option('--max-processes <n>', 'most processes tracked at once (least recently active evicted)', '100000')
    .option('--max-ngrams-per-process <n>', 'most distinct n-grams counted per process (or tree)', '100000')
    .option('--max-line-bytes <n>', 'longest event line accepted', String(DEFAULT_MAX_LINE_BYTES))
    .option('--tree', "attribute a child's calls to its parent's process tree (scored as one)")
    .option('--top <k>', 'top contributing n-grams in each alert', '5')
    .option('--alerts <file>', 'append alerts to this file instead of stdout')
    .option('--webhook <url>', 'also POST every alert to this URL')
    .option('--on-alert-exec <cmd>', 'response: run this shell command with the alert JSON on stdin')
    .option('--on-alert-webhook <url>', 'response: POST the alert to this URL')
    .option('--hook-rate <n>', 'response rate limit: at most n responses per minute', '10')
    .addOption(
      new Option('--hook-on <verdict>', 'lowest verdict that triggers a response')
        .choices(['suspicious', 'malicious'])
        .default('malicious'),
    )
    .option('--dry-run', 'print the responses that would be made instead of making them')
    .option('--json', 'print the end-of-run summary as one JSON line on stderr')
    .option('--quiet', 'no log lines on stderr (malformed lines and the summary are still reported)')
    .action(async (flags: WatchFlags) => {
      if (!flags.model && !flags.rules) throw new InputError('give --model FILE and/or --rules DIR');
      const maxProcesses = number(flags.maxProcesses, '--max-processes', { integer: true, min: 1 });
      const maxNgrams = number(flags.maxNgramsPerProcess, '--max-ngrams-per-process', {
        integer: true,
        min: 1,
      });
      const maxLineBytes = number(flags.maxLineBytes, '--max-line-bytes', { integer: true, min: 16 });
      const top = number(flags.top, '--top', { integer: true, min: 0 });
      const hookRate = number(flags.hookRate, '--hook-rate', { min: 0 });
      const given = flags.threshold === undefined ? undefined : number(flags.threshold, '--threshold');
      const suspicious =
        flags.suspiciousThreshold !== undefined
          ? number(flags.suspiciousThreshold, '--suspicious-threshold')
          : undefined;
      if (flags.webhook) checkUrl(flags.webhook, '--webhook');
      if (flags.onAlertWebhook) checkUrl(flags.onAlertWebhook, '--on-alert-webhook');
      const file = flags.input ?? (flags.listenTcp || flags.listenHttp ? undefined : '-');
      if (flags.follow && (file === undefined || file === '-'))
        throw new InputError('needs --input FILE', '--follow');
      if (file !== undefined && file !== '-' && !flags.follow) {
        try {
          statSync(file);
        } catch (err) {
          throw cannotRead(err, file);
        }
      }
      const say = (m: string) => log(m, flags.quiet);

      let model: { model: Model; spec: ReturnType<typeof featureSpecOf>['spec'] } | undefined;
      let collapseRepeats = false;
      if (flags.model) {
        // Loaded on demand: the learning stage is only needed when a model is given.
        const { loadModel } = await import('../../learn/model.js');
        const loaded = loadModel(flags.model);
        const info = featureSpecOf(loaded);
        for (const w of info.warnings) log(`malgram: warning: ${w}`);
        model = { model: loaded, spec: info.spec };
        collapseRepeats = info.collapseRepeats;
      }
      const labels = model?.model.labels() ?? [];
      const positive = flags.positive ?? defaultPositive(labels);
      if (model && !labels.includes(positive)) {
        throw new InputError(
          `the model has no label "${positive}" (labels: ${labels.join(', ')})`,
          '--positive',
        );
      }
      const stored = model?.model.alertThreshold;
      const threshold = given ?? (stored?.positive === positive ? stored.margin : 0);
      if (model && given === undefined) {
        say(
          stored?.positive === positive
            ? `alert threshold ${threshold.toPrecision(6)}: the model's (at most ${(100 * stored.target_fpr).toFixed(2)}% of its ${stored.negatives} benign training traces alert)`
            : 'alert threshold 0: the classifier boundary (the model has no stored threshold for this label; see train --alert-fpr)',
        );
      }
      const rules = flags.rules ? loadStreamingRules(flags.rules) : undefined;
      if (rules) say(`loaded ${rules.count} rules`);

      const detector: DetectorOptions = {
        limits: { maxProcesses, maxNgramsPerUnit: maxNgrams, tree: flags.tree === true },
        policy: { positive, threshold, suspiciousThreshold: suspicious },
        top,
        rules: rules?.rules,
        collapseRepeats,
      };
      const sinks: AlertSink[] = [flags.alerts ? JsonLinesSink.file(flags.alerts) : JsonLinesSink.stdout()];
      if (flags.webhook) sinks.push(new WebhookSink(flags.webhook, (m) => log(`malgram: ${m}`)));
      const response =
        flags.onAlertExec || flags.onAlertWebhook
          ? new ResponseHook({
              exec: flags.onAlertExec,
              webhook: flags.onAlertWebhook,
              perMinute: hookRate,
              dryRun: flags.dryRun === true,
              minVerdict: flags.hookOn,
              log: (m) => log(`malgram: ${m}`),
            })
          : undefined;

      const { summary } = await runWatch({
        model,
        detector,
        inputs: {
          file,
          follow: flags.follow,
          fromEnd: flags.fromEnd,
          listenTcp: flags.listenTcp,
          listenHttp: flags.listenHttp,
          maxLineBytes,
        },
        sinks,
        response,
        log: (m) => log(m),
      });
      if (flags.json) process.stderr.write(`${JSON.stringify({ summary })}\n`);
      else {
        const parts = Object.entries(summary).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
        process.stderr.write(`watch: ${parts.join(', ')}\n`);
      }
    });
}
