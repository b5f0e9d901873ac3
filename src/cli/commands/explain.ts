// `malgram explain`: which features drove a sample's verdict, x·(w[predicted] − w[runner-up]).
// With `--rules DIR`, also the rule hits (the matched calls with their arguments) and the hybrid
// verdict of src/rules/hybrid.ts.
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { openSamples } from '../../ingest/source.js';
import { loadModel } from '../../learn/model.js';
import type { Explanation } from '../../learn/model-api.js';
import { decide, hybridJson } from '../../rules/hybrid.js';
import { printJson } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';
import {
  addHybridOptions,
  type HybridFlags,
  loadCompiledRules,
  NO_BEHAVIOUR,
  policyFromFlags,
  ruleHitLines,
} from './classify.js';

interface ExplainFlags extends SourceFlags, HybridFlags {
  model: string;
  top: string;
  id?: string;
  json?: boolean;
}

function toJson(id: string, e: Explanation): Record<string, unknown> {
  return {
    id,
    predicted: e.empty ? null : e.predicted,
    runner_up: e.runnerUp,
    scores: Object.fromEntries(e.scores),
    ...(e.empty ? { verdict: NO_BEHAVIOUR } : {}),
    contributions: e.contributions.map((c) => ({
      feature: c.feature,
      value: c.value,
      weights: Object.fromEntries(c.weights),
      contribution: c.contribution,
    })),
  };
}

function toText(id: string, e: Explanation): string {
  const head = e.empty
    ? `${id}: ${NO_BEHAVIOUR}`
    : `${id}: predicted ${e.predicted} over ${e.runnerUp ?? '(none)'}; scores ${[...e.scores].map(([l, s]) => `${l}=${s.toFixed(6)}`).join(' ')}`;
  const lines = e.contributions.map(
    (c) => `${c.contribution.toFixed(6)}\t${c.value.toFixed(6)}\t${c.feature}`,
  );
  return `${head}\n${lines.length > 0 ? 'contribution\tvalue\tfeature\n' : ''}${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
}

export function register(program: Command): void {
  const cmd = program
    .command('explain')
    .description(
      "the features that contributed most to a sample's verdict: value × (w[predicted] − w[runner-up])",
    )
    .argument('[paths...]', 'sample file(s)')
    .requiredOption('--model <file>', 'model file')
    .option('--top <k>', 'features to show', '20')
    .option('--id <id>', 'only the sample with this id (for data-set files with many samples)')
    .option('--json', 'machine-readable output');
  addHybridOptions(cmd);
  addSourceOptions(cmd).action(async (paths: string[], flags: ExplainFlags) => {
    const top = Number(flags.top);
    if (!Number.isInteger(top) || top < 0) throw new InputError('must be an integer >= 0', '--top');
    const model = loadModel(flags.model);
    const rules = flags.rules ? loadCompiledRules(flags.rules) : undefined;
    const policy = policyFromFlags(flags, top);
    const detail = rules || model.native?.args ? 'full' : 'api';
    const src = sourceFromOptions(flags, paths, { detail });
    const results: Array<Record<string, unknown>> = [];
    for await (const trace of openSamples(src)) {
      if (flags.id !== undefined && trace.id !== flags.id) continue;
      const e = model.explain(trace, top);
      if (rules) {
        const v = decide(model, trace, rules.matchTrace(trace), policy);
        const { verdict, decided_by, margin, rule_hits } = hybridJson(v, trace);
        if (flags.json) results.push({ ...toJson(trace.id, e), verdict, decided_by, margin, rule_hits });
        else {
          const hits = ruleHitLines(v, trace);
          process.stdout.write(
            `${trace.id}: verdict ${v.verdict} (decided by ${v.decidedBy}${v.margin === null ? '' : `, model margin ${v.margin.toFixed(6)}`}); ${hits.length > 0 ? 'rule hits:' : 'no rule hits'}\n${hits.map((l) => `${l}\n`).join('')}${toText(trace.id, e)}`,
          );
        }
        continue;
      }
      if (flags.json) results.push(toJson(trace.id, e));
      else process.stdout.write(toText(trace.id, e));
    }
    if (flags.id !== undefined && results.length === 0 && flags.json)
      throw new InputError(`no sample with id ${JSON.stringify(flags.id)}`, '--id');
    if (flags.json) printJson({ results });
  });
}
