// `malgram dump`: the model's features by weight, `weight<TAB>feature-name` per line.
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { dumpText } from '../../explain/dump.js';
import { loadModel } from '../../learn/model.js';
import { printJson } from '../io.js';

interface DumpFlags {
  model: string;
  label?: string;
  top: string;
  bottom?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('dump')
    .description(
      'features by weight per label: weight<TAB>feature-name (largest first, or smallest with --bottom)',
    )
    .requiredOption('--model <file>', 'model file')
    .option('--label <label>', 'only this label (default: every label, each block headed by "# label L")')
    .option('--top <k>', 'features per label', '20')
    .option('--bottom', 'the smallest weights instead of the largest')
    .option('--json', 'machine-readable output')
    .action((flags: DumpFlags) => {
      const top = Number(flags.top);
      if (!Number.isInteger(top) || top < 0) throw new InputError('must be an integer >= 0', '--top');
      const model = loadModel(flags.model);
      const labels = flags.label === undefined ? model.labels() : [flags.label];
      if (flags.label !== undefined && !model.labels().includes(flags.label)) {
        throw new InputError(
          `unknown label ${JSON.stringify(flags.label)} (model labels: ${model.labels().join(', ')})`,
          '--label',
        );
      }
      const blocks = labels.map((label) => ({ label, entries: model.dump(label, top, flags.bottom) }));
      if (flags.json) {
        printJson({
          method: model.method,
          features: model.numFeatures(),
          labels: blocks.map((b) => ({ label: b.label, entries: b.entries })),
        });
      } else process.stdout.write(dumpText(blocks, flags.label === undefined));
    });
}
