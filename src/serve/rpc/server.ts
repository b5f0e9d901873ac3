// MessagePack-RPC over TCP (https://github.com/msgpack-rpc/msgpack-rpc/blob/master/spec.md), the
// transport of Jubatus (jubatus-reference.md §3.1): a request is `[0, msgid, method, params]`, a
// notification `[2, method, params]`, a response `[1, msgid, error, result]`. Messages may be
// split over packets or share one (pipelining); responses carry the msgid of their request.
// Errors: 1 = no such method, 2 = bad arguments (the message is in `result`), any other failure
// = its message as a string, as Jubatus servers answer.
import { createServer, type Server, type Socket } from 'node:net';
import { Decoder } from '@msgpack/msgpack';
import { FrameError, FrameReader } from './frame-reader.js';
import { MsgpackWriter, type RpcValue } from './msgpack-writer.js';

export const NO_METHOD_ERROR = 1;
export const ARGUMENT_ERROR = 2;

/** Thrown by a method for arguments of the wrong shape (answered with error 2). */
export class RpcArgumentError extends Error {}

/** A method: gets the params list, returns the result (or a promise of it). */
export type RpcMethod = (params: unknown[]) => RpcValue | Promise<RpcValue>;

export interface RpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest accepted message (bytes). */
  maxFrameBytes: number;
  /** Largest number of simultaneous connections. */
  maxConnections: number;
  /** Called after every answered call (for metrics). */
  onCall?: (method: string, seconds: number, error: boolean) => void;
  /** One-line log messages (connection problems). */
  log: (message: string) => void;
}

export interface RunningRpcServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

const REQUEST = 0;
const RESPONSE = 1;
const NOTIFICATION = 2;

function methodName(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Serves `methods` over MessagePack-RPC until closed. */
export async function startRpcServer(
  methods: ReadonlyMap<string, RpcMethod>,
  opts: RpcServerOptions,
): Promise<RunningRpcServer> {
  const sockets = new Set<Socket>();
  const decoder = new Decoder({ maxStrLength: opts.maxFrameBytes, maxBinLength: opts.maxFrameBytes });

  function respond(socket: Socket, msgid: number, error: RpcValue, result: RpcValue): void {
    if (socket.destroyed) return;
    const bytes = new MsgpackWriter().write([RESPONSE, msgid, error, result]).bytes();
    if (!socket.write(bytes)) socket.pause(); // resumed on 'drain'
  }

  function call(socket: Socket, msgid: number | undefined, method: string, params: unknown): void {
    const started = process.hrtime.bigint();
    const done = (error: RpcValue, result: RpcValue) => {
      opts.onCall?.(method, Number(process.hrtime.bigint() - started) / 1e9, error !== null);
      if (msgid !== undefined) respond(socket, msgid, error, result);
    };
    const fail = (err: unknown) => {
      if (err instanceof RpcArgumentError) done(ARGUMENT_ERROR, err.message);
      else done(errorMessage(err), null);
    };
    const handler = methods.get(method);
    if (!handler) {
      done(NO_METHOD_ERROR, `no such method: ${method.slice(0, 100)}`);
      return;
    }
    if (!Array.isArray(params)) {
      done(ARGUMENT_ERROR, 'params must be an array');
      return;
    }
    try {
      const result = handler(params);
      if (result instanceof Promise) result.then((r) => done(null, r), fail);
      else done(null, result);
    } catch (err) {
      fail(err);
    }
  }

  function onMessage(socket: Socket, frame: Buffer): boolean {
    let msg: unknown;
    try {
      msg = decoder.decode(frame);
    } catch (err) {
      opts.log(
        `rpc ${socket.remoteAddress}:${socket.remotePort}: undecodable message (${errorMessage(err)}); closing`,
      );
      return false;
    }
    if (Array.isArray(msg) && msg.length === 4 && msg[0] === REQUEST && Number.isInteger(msg[1])) {
      const method = methodName(msg[2]);
      if (method === undefined) {
        respond(socket, msg[1] as number, ARGUMENT_ERROR, 'method name must be a string');
        return true;
      }
      call(socket, msg[1] as number, method, msg[3]);
      return true;
    }
    if (Array.isArray(msg) && msg.length === 3 && msg[0] === NOTIFICATION) {
      const method = methodName(msg[1]);
      if (method !== undefined) call(socket, undefined, method, msg[2]);
      return true;
    }
    opts.log(`rpc ${socket.remoteAddress}:${socket.remotePort}: not a MessagePack-RPC request; closing`);
    return false;
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader(opts.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        opts.log(`rpc ${socket.remoteAddress}:${socket.remotePort}: ${err.message}; closing`);
        socket.destroy();
        return;
      }
      socket.cork();
      for (const frame of frames) {
        if (!onMessage(socket, frame)) {
          socket.destroy();
          return;
        }
      }
      socket.uncork();
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', () => {}); // a reset by the peer ends the connection; nothing to report
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = opts.maxConnections;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('rpc server has no TCP address');
  return {
    port: addr.port,
    address: addr.address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
