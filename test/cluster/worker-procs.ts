// Real `malgram worker` processes for the cluster tests: started with the test CLI (compiled
// under CI, see cliNodeArgs), their stderr kept for the failure message of `until`.
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliNodeArgs, repoRoot } from '../helpers/cli.js';

export interface WorkerProc {
  name: string;
  child: ChildProcess;
  log: string[];
}

export class WorkerProcs {
  readonly all: WorkerProc[] = [];

  /** Starts `malgram worker --redis URL --name NAME` with short claim and lock timeouts. */
  start(redisUrl: string, name: string, extra: string[] = []): WorkerProc {
    const target = redisUrl.startsWith('redis+cluster://')
      ? ['--redis-cluster', redisUrl.slice('redis+cluster://'.length)]
      : ['--redis', redisUrl];
    const child = spawn(
      process.execPath,
      cliNodeArgs([
        'worker',
        ...target,
        '--name',
        name,
        '--claim-timeout',
        '6',
        '--lock-timeout',
        '8',
        ...extra,
      ]),
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const w = { name, child, log: [] as string[] };
    child.stderr?.on('data', (b: Buffer) => w.log.push(b.toString()));
    this.all.push(w);
    return w;
  }

  /** SIGTERM (a clean stop: the worker mixes what it trained), SIGKILL after 15 s. */
  async stop(w: WorkerProc): Promise<void> {
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise((r) => w.child.once('exit', r));
    w.child.kill('SIGTERM');
    const timer = setTimeout(() => w.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash. */
  async kill(w: WorkerProc): Promise<void> {
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise((r) => w.child.once('exit', r));
    w.child.kill('SIGKILL');
    await exited;
  }

  killAll(): void {
    for (const w of this.all)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }

  /** Polls `check` until true; on timeout fails with `state()` and the workers' last log lines. */
  async until(
    what: string,
    timeoutMs: number,
    check: () => Promise<boolean>,
    state?: () => Promise<unknown>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(200);
    }
    const logs = this.all.map((w) => `--- ${w.name}\n${w.log.join('').slice(-2000)}`).join('\n');
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await state?.())}\n${logs}`);
  }
}
