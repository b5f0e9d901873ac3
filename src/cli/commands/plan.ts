// `malgram plan`: the sample size a margin of error needs, or the margin a sample size gives.
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { type PlanResult, planMargin, planSampleSize } from '../../evaluate/plan.js';
import { printJson } from '../io.js';

interface PlanOptions {
  p?: string;
  margin?: string;
  n?: string;
  confidence: string;
  json?: boolean;
}

function number(flag: string, text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x))
    throw new InputError(`${flag} must be a number, got '${text}'`);
  return x;
}

function renderTable(r: PlanResult): string {
  const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;
  const head =
    r.given_n !== undefined
      ? `margin of error with n = ${r.given_n} for a rate near ${pct(r.p)} at ${pct(r.confidence)} confidence`
      : `sample size for ±${pct(r.target_margin ?? 0)} around ${pct(r.p)} at ${pct(r.confidence)} confidence`;
  const rows = r.methods.map(
    (m) =>
      `${m.method.padEnd(16)} ${String(m.n).padStart(12)}  ±${pct(m.margin).padStart(9)}  [${pct(m.lo)} – ${pct(m.hi)}]`,
  );
  return [
    head,
    `${'method'.padEnd(16)} ${'n'.padStart(12)}  ${'margin'.padStart(10)}  interval`,
    ...rows,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('sample size for a margin of error (--p --margin), or the margin of a sample size (--n --p)')
    .option('--p <rate>', 'expected rate (e.g. 0.7233 for a TPR of 72.33%); default 0.5, the worst case')
    .option('--margin <E>', 'margin of error wanted, as a proportion (0.01 = ±1 point)')
    .option('--n <N>', 'sample size to evaluate')
    .option('--confidence <C>', 'confidence level', '0.95')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  malgram plan --p 0.5 --margin 0.01\n  malgram plan --n 10000 --p 0.7233 --json',
    )
    .action((opts: PlanOptions) => {
      if ((opts.margin === undefined) === (opts.n === undefined)) {
        throw new InputError('plan: give either --margin (to get a sample size) or --n (to get a margin)');
      }
      const p = opts.p === undefined ? 0.5 : number('--p', opts.p);
      const confidence = number('--confidence', opts.confidence);
      let result: PlanResult;
      try {
        if (opts.n !== undefined) {
          result = planMargin(number('--n', opts.n), p, confidence);
        } else {
          result = planSampleSize(p, number('--margin', opts.margin ?? ''), confidence);
        }
      } catch (err) {
        if (err instanceof RangeError) throw new InputError(`plan: ${err.message}`);
        throw err;
      }
      if (opts.json) printJson(result);
      else process.stdout.write(`${renderTable(result)}\n`);
    });
}
