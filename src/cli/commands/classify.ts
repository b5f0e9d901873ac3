// `malgram classify`: per-label scores and the verdict for every sample (design.md contract).
// With `--rules DIR`, the behaviour rules run over each trace too and the hybrid policy of
// src/rules/hybrid.ts combines rule hits and the model into `verdict` / `decided_by`.
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import type { Trace } from '../../core/trace.js';
import { openSamples } from '../../ingest/source.js';
import { loadModel } from '../../learn/model.js';
import { decide, type HybridPolicy, type HybridVerdict, hybridJson } from '../../rules/hybrid.js';
import { loadValidRules } from '../../rules/load.js';
import { type CompiledRules, compileRules } from '../../rules/matcher.js';
import { printJson } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

/** The flags of the hybrid policy, shared by classify, explain and eval. */
export interface HybridFlags {
  rules?: string[];
  threshold?: string;
  positive?: string;
  suspiciousDecides?: boolean;
  allowOverridesRules?: boolean;
}

interface ClassifyFlags extends SourceFlags, HybridFlags {
  model: string;
  json?: boolean;
}

/** The verdict word shown for a sample that produced no features at all. */
export const NO_BEHAVIOUR = 'no behaviour';

/** Adds `--rules DIR...` and the knobs of the hybrid policy (src/rules/hybrid.ts). */
export function addHybridOptions(cmd: Command): Command {
  return cmd
    .option('--rules <path...>', 'behaviour rule files or folders: combine rule hits with the model')
    .option(
      '--threshold <margin>',
      'with --rules: the model calls a sample malicious when score(positive) − best other score ≥ this (default: its argmax)',
    )
    .option('--positive <label>', 'the malicious label of the model (default: malware if known, else 1)')
    .option('--suspicious-decides', 'with --rules: a suspicious rule hit alone makes the verdict malicious')
    .option('--allow-overrides-rules', 'with --rules: an allow rule also overrides malicious rules');
}

/** Loads, validates and compiles the rules; any problem is an input error naming file:line. */
export function loadCompiledRules(paths: string[]): CompiledRules {
  return compileRules(loadValidRules(paths));
}

/** The hybrid policy the flags describe; its knobs without `--rules` are a usage error. */
export function policyFromFlags(flags: HybridFlags, top?: number): HybridPolicy {
  if (!flags.rules) {
    const knobs = [
      flags.threshold !== undefined && '--threshold',
      flags.positive !== undefined && '--positive',
      flags.suspiciousDecides && '--suspicious-decides',
      flags.allowOverridesRules && '--allow-overrides-rules',
    ].filter(Boolean);
    if (knobs.length > 0) throw new InputError('only used with --rules', knobs.join(', '));
  }
  const policy: HybridPolicy = {
    suspiciousDecides: flags.suspiciousDecides === true,
    allowOverridesMaliciousRules: flags.allowOverridesRules === true,
  };
  if (flags.positive !== undefined) policy.positive = flags.positive;
  if (top !== undefined) policy.top = top;
  if (flags.threshold !== undefined) {
    const t = Number(flags.threshold);
    if (flags.threshold.trim() === '' || !Number.isFinite(t))
      throw new InputError(`must be a number, got '${flags.threshold}'`, '--threshold');
    policy.threshold = t;
  }
  return policy;
}

/** Human lines for the rule hits of a hybrid verdict: rule, verdict, and the matched calls with args. */
export function ruleHitLines(v: HybridVerdict, trace: Trace): string[] {
  const json = hybridJson(v, trace) as {
    rule_hits: Array<{
      rule: string;
      title: string;
      verdict: string;
      severity: string;
      pid: number;
      calls: Array<{ pid: number; index: number; api: string; args: Record<string, unknown> }>;
    }>;
  };
  const lines: string[] = [];
  for (const h of json.rule_hits) {
    lines.push(`  rule ${h.rule} (${h.verdict}, ${h.severity}) pid ${h.pid}: ${h.title}`);
    for (const c of h.calls) {
      const args = Object.entries(c.args)
        .slice(0, 8)
        .map(([k, val]) => `${k}=${JSON.stringify(val)}`)
        .join(' ');
      lines.push(`    #${c.index} pid ${c.pid} ${c.api}${args ? ` ${args}` : ''}`);
    }
  }
  return lines;
}

export function register(program: Command): void {
  const cmd = program
    .command('classify')
    .description(
      'classify samples with a trained model: per-label scores, the predicted label, and with --rules the hybrid verdict',
    )
    .argument('[paths...]', 'sample files or folders')
    .requiredOption('--model <file>', 'model file')
    .option('--json', 'machine-readable output');
  addHybridOptions(cmd);
  addSourceOptions(cmd).action(async (paths: string[], flags: ClassifyFlags) => {
    const model = loadModel(flags.model);
    const rules = flags.rules ? loadCompiledRules(flags.rules) : undefined;
    const policy = policyFromFlags(flags, 0);
    const detail = rules || model.native?.args ? 'full' : 'api';
    const src = sourceFromOptions(flags, paths, { detail });
    const results: Array<Record<string, unknown>> = [];
    for await (const trace of openSamples(src)) {
      if (rules) {
        const v = decide(model, trace, rules.matchTrace(trace), policy);
        const scores = Object.fromEntries(v.scores);
        const { contributions: _omitted, ...hybrid } = hybridJson(v, trace);
        if (flags.json) results.push({ id: trace.id, predicted: v.predicted, scores, ...hybrid });
        else {
          const shown = [...v.scores].map(([l, s]) => `${l}=${s.toFixed(6)}`).join(' ');
          const lines = [
            `${trace.id}\t${v.verdict} (${v.decidedBy})\tmodel ${v.predicted ?? `(${NO_BEHAVIOUR})`}\t${shown}`,
            ...ruleHitLines(v, trace),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        continue;
      }
      const c = model.classify(trace);
      const scores = Object.fromEntries(c.scores);
      const r: Record<string, unknown> = { id: trace.id, predicted: c.empty ? null : c.predicted, scores };
      if (c.empty) r.verdict = NO_BEHAVIOUR;
      if (flags.json) results.push(r);
      else {
        const shown = [...c.scores].map(([l, s]) => `${l}=${s.toFixed(6)}`).join(' ');
        process.stdout.write(
          `${trace.id}\t${c.empty ? `(${NO_BEHAVIOUR})` : (c.predicted ?? '(no label known)')}\t${shown}\n`,
        );
      }
    }
    if (flags.json) printJson({ results });
  });
}
