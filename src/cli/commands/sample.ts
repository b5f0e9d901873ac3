// `malgram sample`: draw a random evaluation set spread across periods and sources, with a seed;
// write it as canonical JSONL or as a new store file (both atomically: temp file + rename).

import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { InputError } from '../../core/errors.js';
import { type PeriodUnit, periodUnits } from '../../evaluate/over-time.js';
import { drawSample, traceToJsonLine } from '../../evaluate/sample.js';
import { openSamples } from '../../ingest/source.js';
import { SampleStore } from '../../ingest/store.js';
import { log, printJson } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface SampleFlags extends SourceFlags {
  perPeriod: string;
  period: PeriodUnit;
  perLabel?: string;
  seed: string;
  out?: string;
  outDb?: string;
  json?: boolean;
  quiet?: boolean;
}

function positiveInt(flag: string, text: string, min: number): number {
  const x = Number(text);
  if (!Number.isInteger(x) || x < min)
    throw new InputError(`must be an integer ≥ ${min}, got '${text}'`, flag);
  return x;
}

async function writeJsonl(path: string, lines: Iterable<string>): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  try {
    for (const line of lines) {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    renameSync(tmp, path);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('sample')
    .description('draw a random evaluation set spread across periods and sources (seeded)')
    .option('--per-period <N>', 'at most N samples per period and source', '100')
    .addOption(new Option('--period <unit>', 'period length').choices([...periodUnits]).default('day'))
    .option('--per-label <M>', 'then at most M samples per label')
    .option('--seed <S>', 'random seed', '1')
    .option('--out <file.jsonl>', 'write the sample as canonical JSONL')
    .option('--out-db <file>', 'write the sample as a new store file')
    .option('--json', 'machine-readable summary on stdout')
    .option('--quiet', 'no logs');
  addSourceOptions(cmd);
  cmd.addHelpText(
    'after',
    '\nExample:\n  malgram sample --db malgram.db --per-period 50 --period day --seed 7 --out eval-set.jsonl',
  );
  cmd.action(async (f: SampleFlags) => {
    if ((f.out === undefined) === (f.outDb === undefined))
      throw new InputError('give one of --out FILE.jsonl or --out-db FILE', 'sample');
    if (f.outDb !== undefined && existsSync(f.outDb))
      throw new InputError('exists already; choose a new store file', f.outDb);
    const draw = await drawSample(openSamples(sourceFromOptions(f, [], { detail: 'full' })), {
      perPeriod: positiveInt('--per-period', f.perPeriod, 1),
      period: f.period,
      perLabel: f.perLabel === undefined ? undefined : positiveInt('--per-label', f.perLabel, 1),
      seed: positiveInt('--seed', f.seed, 0),
    });
    if (f.out !== undefined) {
      await writeJsonl(
        f.out,
        (function* () {
          for (const t of draw.selected) yield traceToJsonLine(t);
        })(),
      );
    } else if (f.outDb !== undefined) {
      const tmp = `${f.outDb}.${process.pid}.tmp`;
      const store = SampleStore.open(tmp);
      try {
        for (let i = 0; i < draw.selected.length; i += 500) {
          store.addBatch(draw.selected.slice(i, i + 500).map((trace) => ({ trace })));
        }
      } finally {
        store.close();
      }
      renameSync(tmp, f.outDb);
    }
    const target = f.out ?? f.outDb ?? '';
    if (f.json) {
      printJson({ seen: draw.seen, selected: draw.selected.length, out: target, cells: draw.cells });
    } else {
      log(
        `selected ${draw.selected.length} of ${draw.seen} samples from ${draw.cells.length} (${f.period}, source) cells into ${target}`,
        f.quiet,
      );
    }
  });
}
