import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * An in-process TCP proxy in front of a server a test must not restart (the
 * shared PostgreSQL). `cut()` resets every proxied connection and refuses new
 * ones until `restore()`: to the client this looks like the server going away
 * (connections reset, then refused), without touching the real server that
 * other tests use.
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted while up. */
  readonly accepted: () => number;
  /** Connections refused while cut. */
  readonly refused: () => number;
  isCut(): boolean;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 (any free port) forwarding to `target`.
 *
 * @param onClientData sees every chunk a client sends, before the server
 *   does (a test of the exact bytes on the wire).
 */
export async function startTcpProxy(
  target: {
    host: string;
    port: number;
  },
  onClientData?: (chunk: Buffer) => void,
): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let down = false;
  let accepted = 0;
  let refused = 0;
  const server: Server = createServer(client => {
    if (down) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect(target.port, target.host);
    live.add(client);
    live.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', end).on('close', end);
    if (onClientData) client.on('data', onClientData);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closing: Promise<void> | undefined;
  return {
    port,
    accepted: () => accepted,
    refused: () => refused,
    isCut: () => down,
    cut() {
      down = true;
      for (const s of live) s.resetAndDestroy();
      live.clear();
    },
    restore() {
      down = false;
    },
    close() {
      closing ??= new Promise<void>(resolve => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
