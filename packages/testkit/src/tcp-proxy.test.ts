import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { startTcpProxy } from './tcp-proxy';

/** An echo server: what a client writes comes back. */
async function echoServer() {
  // A cut resets the proxy's upstream side too: the echo socket sees ECONNRESET.
  const server = createServer(s => s.on('error', () => s.destroy()).pipe(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, close: () => new Promise(r => server.close(r)) };
}

/** Connects, writes `text` and resolves with the echo, or rejects with the socket's error / early close. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', d => {
      got += String(d);
      if (got === text) {
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.on('close', () =>
      reject(new Error(`closed after ${JSON.stringify(got)}`)),
    );
    s.write(text);
  });
}

describe('startTcpProxy', () => {
  it('forwards, resets live connections on cut, refuses while cut, forwards again after restore', async () => {
    const echo = await echoServer();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: echo.port });
    try {
      expect(await roundTrip(proxy.port, 'hello')).toBe('hello');

      const live = connect(proxy.port, '127.0.0.1');
      await once(live, 'connect');
      live.write('x');
      await once(live, 'data');
      const closed = new Promise<unknown>(resolve => {
        live.on('error', resolve);
        live.on('close', resolve);
      });
      proxy.cut();
      expect(proxy.isCut()).toBe(true);
      await closed;

      await expect(roundTrip(proxy.port, 'while cut')).rejects.toThrow();
      expect(proxy.refused()).toBe(1);

      proxy.restore();
      expect(await roundTrip(proxy.port, 'again')).toBe('again');
      expect(proxy.accepted()).toBe(3);
    } finally {
      await proxy.close();
      await echo.close();
    }
  });
});
