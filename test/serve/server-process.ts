// Starts the real `malgram serve` (through the CLI, in a child process) on random loopback ports
// and tells the test where it listens.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliNodeArgs, repoRoot } from '../helpers/cli.js';

export interface ServerProcess {
  url: string;
  rpcPort?: number;
  child: ChildProcess;
  stderr: () => string;
  /** Graceful stop (SIGTERM: the model is saved); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Crash (SIGKILL): nothing is saved. */
  kill(): Promise<void>;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'malgram-serve-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `malgram serve --port 0 --json ARGS...` and waits until it is listening. */
export function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliNodeArgs(['serve', '--port', '0', '--json', ...args]), {
      cwd: repoRoot,
      env: { ...process.env, MALGRAM_TOKENS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let started = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (started) return;
      let info: { http: string; rpc: { port: number } | null };
      try {
        info = JSON.parse(out);
      } catch {
        return; // not the whole document yet
      }
      started = true;
      resolve({
        url: info.http,
        rpcPort: info.rpc?.port,
        child,
        stderr: () => err,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.on('exit', (code) => {
      if (!started) reject(new Error(`server exited with ${code} before listening: ${err}`));
    });
  });
}

/** fetch() with a JSON body; returns status and parsed JSON (or text). */
export async function request(
  url: string,
  init: {
    method?: string;
    json?: unknown;
    body?: string | Buffer;
    token?: string;
    headers?: Record<string, string>;
  } = {},
  // biome-ignore lint/suspicious/noExplicitAny: the answer's JSON, checked by the tests
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | Buffer | undefined = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body as RequestInit['body'],
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text (metrics)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
