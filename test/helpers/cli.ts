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

const entry = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

/** Runs `malgram ARGS...`; `input` is written to stdin. */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
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
