// `malgram replay PATH... [--format F] [--db FILE] [--speed fast|real|FACTOR] [--host NAME]`:
// stored traces, sandbox reports or the CSV data set as an `events` stream on stdout (for
// `malgram watch`). Order, pids and timestamps: see src/detect/replay.ts.
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { formatEvent } from '../../detect/events.js';
import { newReplayClock, parseSpeed, traceEvents } from '../../detect/replay.js';
import { openSamples } from '../../ingest/source.js';
import { log } from '../io.js';
import { addSourceOptions, type SourceFlags, sourceFromOptions } from '../source-options.js';

interface ReplayFlags extends SourceFlags {
  speed: string;
  host: string;
  quiet?: boolean;
}

const BATCH_BYTES = 64 * 1024;

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(text)) return resolve();
    const onError = (err: Error) => reject(err);
    process.stdout.once('error', onError);
    process.stdout.once('drain', () => {
      process.stdout.off('error', onError);
      resolve();
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function register(program: Command): void {
  const cmd = program
    .command('replay')
    .description('turn stored traces, sandbox reports or a CSV data set into an events stream on stdout')
    .argument('[paths...]', 'input files or folders')
    .option(
      '--speed <speed>',
      'fast (as fast as possible), real (honour timestamps) or a speed factor',
      'fast',
    )
    .option('--host <name>', 'host name written into every event', 'replay')
    .option('--quiet', 'no summary on stderr');
  addSourceOptions(cmd);
  cmd.action(async (paths: string[], flags: ReplayFlags) => {
    const speed = parseSpeed(flags.speed);
    if (!speed)
      throw new InputError(`expected fast, real or a positive number, got "${flags.speed}"`, '--speed');
    if (flags.host.length === 0 || flags.host.length > 256) {
      throw new InputError('must be 1 to 256 characters', '--host');
    }
    const source = sourceFromOptions(flags, paths, { detail: 'full' });
    const clock = newReplayClock();
    const startWall = performance.now();
    const startTs = clock.now;
    let traces = 0;
    let events = 0;
    let batch = '';
    // A closed pipe (e.g. `| head`) ends the replay quietly.
    let closed = false;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') closed = true;
    });
    for await (const trace of openSamples(source)) {
      traces++;
      for (const event of traceEvents(trace, flags.host, clock)) {
        if (speed.kind === 'factor' && event.ts !== undefined) {
          const due = ((event.ts - startTs) / speed.factor) * 1000;
          const ahead = due - (performance.now() - startWall);
          if (ahead > 5) {
            if (batch.length > 0) await write(batch);
            batch = '';
            await sleep(ahead);
          }
        }
        batch += `${formatEvent(event)}\n`;
        events++;
        if (batch.length >= BATCH_BYTES || speed.kind === 'factor') {
          await write(batch);
          batch = '';
        }
        if (closed) break;
      }
      if (closed) break;
    }
    if (batch.length > 0 && !closed) await write(batch);
    log(`replay: ${traces} traces, ${events} events`, flags.quiet);
  });
}
