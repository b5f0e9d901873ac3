// A MessagePack-RPC client (same protocol as ./server.ts), for tests, the benchmark and scripts
// that talk to a Jubatus-compatible server: calls may be pipelined; answers are matched by msgid.
import { connect, type Socket } from 'node:net';
import { Decoder } from '@msgpack/msgpack';
import { FrameReader } from './frame-reader.js';
import { MsgpackWriter, type RpcValue } from './msgpack-writer.js';

/** An error answer: `error` is 1 (no method), 2 (bad arguments) or the server's message. */
export class RpcError extends Error {
  constructor(
    readonly error: unknown,
    readonly result: unknown,
  ) {
    super(
      typeof error === 'string' ? error : `rpc error ${String(error)}${result ? `: ${String(result)}` : ''}`,
    );
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class RpcClient {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly reader: FrameReader;
  private readonly decoder = new Decoder();
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    maxFrameBytes: number,
  ) {
    this.reader = new FrameReader(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) this.onResponse(this.decoder.decode(frame));
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects to `host:port`. */
  static connect(port: number, host = '127.0.0.1', maxFrameBytes = 64 * 1024 * 1024): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RpcClient(socket, maxFrameBytes));
      });
      socket.once('error', reject);
    });
  }

  private onResponse(msg: unknown): void {
    if (!Array.isArray(msg) || msg.length !== 4 || msg[0] !== 1)
      throw new Error('not a MessagePack-RPC response');
    const waiter = this.pending.get(msg[1] as number);
    if (!waiter) throw new Error(`response to unknown msgid ${String(msg[1])}`);
    this.pending.delete(msg[1] as number);
    if (msg[2] === null || msg[2] === undefined) waiter.resolve(msg[3]);
    else waiter.reject(new RpcError(msg[2], msg[3]));
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Calls `method` with `params` (Jubatus: the first is the cluster name). */
  call(method: string, ...params: RpcValue[]): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const msgid = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      this.pending.set(msgid, { resolve, reject });
      this.socket.write(new MsgpackWriter().write([0, msgid, method, params]).bytes());
    });
  }

  close(): void {
    this.socket.end();
  }
}
