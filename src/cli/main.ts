// The `malgram` command line. Every file in ./commands registers one command (or one command
// group) on the program: adding a command is adding a file, nothing else.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ExitCode, InputError } from '../core/errors.js';
import { VERSION } from '../core/version.js';

/** What a command module exports. */
export interface CommandModule {
  register(program: Command): void;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

/**
 * Registers the commands. Each file is named after its command, so a run of one command loads
 * only that file (and the stages it imports): `malgram stats` never loads the HTTP server or
 * the charting library. With no command (or `help`), every command is loaded for the listing.
 */
async function loadCommands(program: Command, wanted: string | undefined): Promise<void> {
  const files = readdirSync(commandsDir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const only = wanted ? files.filter((f) => f.replace(/\.(js|ts)$/, '') === wanted) : [];
  for (const file of only.length > 0 ? only : files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as Partial<CommandModule>;
    if (typeof mod.register === 'function') mod.register(program);
  }
}

/** The command named on the command line: the first argument that is not an option. */
function requestedCommand(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/** Builds the program with the requested command registered (every command when none is named). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('malgram')
    .description(
      'Detect malware by its behaviour: API-call n-grams, online classifiers, rules, live detection',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  await loadCommands(program, requestedCommand(argv));
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the exit status (0 ok, 1 usage/input error, 2 internal error). */
export async function main(argv: string[]): Promise<number> {
  // `malgram ... | head`: a closed pipe ends the output, it is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(ExitCode.ok);
      throw err;
    });
  }
  let program: Command;
  try {
    program = await buildProgram(argv);
  } catch (err) {
    process.stderr.write(`malgram: internal error while loading commands: ${(err as Error).stack ?? err}\n`);
    return ExitCode.internal;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.input;
    }
    if (err instanceof InputError) {
      process.stderr.write(`malgram: ${err.message}\n`);
      return ExitCode.input;
    }
    process.stderr.write(`malgram: internal error: ${(err as Error).stack ?? err}\n`);
    return ExitCode.internal;
  }
}
