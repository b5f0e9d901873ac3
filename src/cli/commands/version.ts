// `malgram version`: the version, and with --json the runtime details a bug report needs.
import type { Command } from 'commander';
import { VERSION } from '../../core/version.js';
import { printJson } from '../io.js';

export function register(program: Command): void {
  program
    .command('version')
    .description('print the malgram version')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      if (opts.json) printJson({ malgram: VERSION, node: process.versions.node, platform: process.platform });
      else process.stdout.write(`malgram ${VERSION}\n`);
    });
}
