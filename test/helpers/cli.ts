// Runs the real CLI (from source, through tsx) in a child process, as a user would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The shared data folder beside the repository (read only; never copied into the repo). */
export const sharedData = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
export const malbehavdCsv = `${sharedData}malbehavd-v1.csv`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const sourceEntry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));
const builtEntry = fileURLToPath(new URL('../../bin/malgram.js', import.meta.url));

/**
 * The node arguments that start the CLI: from source through tsx by default, or the compiled
 * copy when MALGRAM_TEST_CLI=dist (scripts/test.sh builds first and sets it: starting the
 * compiled CLI costs a fraction of compiling TypeScript in every child process).
 */
export function cliNodeArgs(args: string[]): string[] {
  return process.env.MALGRAM_TEST_CLI === 'dist'
    ? [builtEntry, ...args]
    : ['--import', 'tsx', sourceEntry, ...args];
}

/** Runs `malgram ARGS...`; `input` is written to stdin. */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliNodeArgs(args), {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...opts.env },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
    child.stdin.end(opts.input ?? '');
  });
}
