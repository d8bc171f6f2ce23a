import { connect, type Socket } from 'node:net';
import { waitFor } from '@tickpulse/testkit';
import { Registry } from 'prom-client';
import {
  createLogger,
  createOpsServer,
  DEFAULT_HTTP_TIMEOUTS,
  listenOps,
} from '../src';

/** A raw client: what it received and whether the server closed it. */
function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  const state = { received: '', closed: false };
  socket.on('data', d => (state.received += d.toString()));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => undefined);
  return { socket, state };
}

describe('HTTP request and header timeouts (real sockets)', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const timers: NodeJS.Timeout[] = [];
  afterEach(() => timers.splice(0).forEach(clearInterval));

  const start = async () => {
    const app = createOpsServer({
      logger,
      registry: new Registry(),
      readiness: () => ({}),
      timeouts: { headersMs: 300, requestMs: 600, checkEveryMs: 100 },
    });
    app.post('/echo', async req => req.body);
    const port = await listenOps(app, 0);
    return { app, port };
  };

  it('closes a connection that sends its headers slowly', async () => {
    const { app, port } = await start();
    const c = rawClient(port);
    try {
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      // One header line every 100 ms, never the blank line that ends them.
      let n = 0;
      timers.push(
        setInterval(() => {
          if (!c.state.closed) c.socket.write(`X-Slow-${n++}: 1\r\n`);
        }, 100),
      );
      await waitFor(() => c.state.closed, {
        timeoutMs: 20_000,
        what: 'slow-header connection closed',
      });
      expect(c.state.received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      c.socket.destroy();
      await app.close();
    }
  });

  it('closes a connection that sends its body slowly', async () => {
    const { app, port } = await start();
    const c = rawClient(port);
    try {
      c.socket.write(
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      );
      timers.push(
        setInterval(() => {
          if (!c.state.closed) c.socket.write(' ');
        }, 50),
      );
      await waitFor(() => c.state.closed, {
        timeoutMs: 20_000,
        what: 'slow-body connection closed',
      });
      expect(c.state.received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      c.socket.destroy();
      await app.close();
    }
  });

  it('still answers a normal request, and sets the defaults on every server', async () => {
    const { app, port } = await start();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await app.close();
    }
    const plain = createOpsServer({
      logger,
      registry: new Registry(),
      readiness: () => ({}),
    });
    expect(plain.server.headersTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.headersMs);
    expect(plain.server.requestTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.requestMs);
    expect(plain.server.timeout).toBe(DEFAULT_HTTP_TIMEOUTS.idleMs);
    await plain.close();
  });
});
