// `malgram classify`: per-label scores and the verdict for every sample (design.md contract).
import type { Command } from 'commander';
import { openSamples } from '../../ingest/source.js';
import { loadModel } from '../../learn/model.js';
import { printJson } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface ClassifyFlags extends SourceFlags {
  model: string;
  json?: boolean;
}

/** The verdict word shown for a sample that produced no features at all. */
export const NO_BEHAVIOUR = 'no behaviour';

export function register(program: Command): void {
  const cmd = program
    .command('classify')
    .description('classify samples with a trained model: per-label scores and the predicted label')
    .argument('[paths...]', 'sample files or folders')
    .requiredOption('--model <file>', 'model file')
    .option('--json', 'machine-readable output');
  addSourceOptions(cmd).action(async (paths: string[], flags: ClassifyFlags) => {
    const model = loadModel(flags.model);
    const src = sourceFromOptions(flags, paths, { detail: model.native?.args ? 'full' : 'api' });
    const results: Array<Record<string, unknown>> = [];
    for await (const trace of openSamples(src)) {
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
