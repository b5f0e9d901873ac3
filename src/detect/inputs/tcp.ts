// Events over TCP: newline-delimited JSON, any number of connections at once. Each connection has
// its own line numbers (`tcp:ADDR#CONN:LINE` in reports).
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { ListenAddress } from './address.js';
import { type EventHandlers, EventLineSplitter } from './lines.js';

export interface RunningListener {
  /** The bound address (the real port when 0 was asked for). */
  address: ListenAddress;
  /** Stops accepting, ends open connections, resolves when everything is closed. */
  close(): Promise<void>;
}

export function listenTcp(
  at: ListenAddress,
  handlers: EventHandlers,
  maxLineBytes: number,
  maxConnections = 1024,
): Promise<RunningListener> {
  const sockets = new Set<Socket>();
  let connection = 0;
  const server: Server = createServer((socket) => {
    const id = ++connection;
    sockets.add(socket);
    const splitter = new EventLineSplitter(`tcp:${at.host}:${bound.port}#${id}`, handlers, maxLineBytes);
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('end', () => splitter.end());
    socket.on('error', (err) => handlers.onMalformed(`tcp:${at.host}:${bound.port}#${id}`, err.message));
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = maxConnections;
  let bound: ListenAddress = at;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      bound = { host: at.host, port: a.port };
      resolve({
        address: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.end();
          }),
      });
    });
  });
}
