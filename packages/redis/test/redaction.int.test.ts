import {
  startPrivateRedis,
  testRedis,
  waitFor,
  type PrivateRedis,
} from '@tickpulse/testkit';
import { closeRedis, createRedis } from '../src';
import { captureLogger as capture } from '@tickpulse/service-kit';

/**
 * Real ioredis errors from a password-protected private redis-server, logged
 * through the shared logger: the password must never reach a line.
 */
describe('Redis credentials in log lines', () => {
  const RIGHT = `right-${process.pid}-pw`;
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis(['--requirepass', RIGHT]);
  });
  afterAll(() => server.stop());

  async function logErrorsOf(url: string) {
    const { lines, logger } = capture();
    const client = createRedis(url, { role: 'command', logger, name: 't' });
    const reply = await client.ping().catch((err: unknown) => err);
    logger.error({ err: reply }, 'command failed');
    await waitFor(() => lines.length >= 2, { what: 'logged errors' });
    await closeRedis(client, 200);
    return lines;
  }

  it('a wrong password at start-up (userinfo)', async () => {
    const secret = 'wrong-userinfo-pw';
    const lines = await logErrorsOf(
      `redis://:${secret}@127.0.0.1:${server.port}`,
    );
    expect(lines.join('')).toMatch(/WRONGPASS|NOAUTH/);
    expect(lines.join('')).not.toContain(secret);
  });

  it('a wrong password given as ?password=', async () => {
    const secret = 'wrong-query-pw';
    const lines = await logErrorsOf(
      `redis://127.0.0.1:${server.port}/?password=${secret}`,
    );
    expect(lines.join('')).toMatch(/WRONGPASS|NOAUTH/);
    expect(lines.join('')).not.toContain(secret);
  });

  it('a password rotated on the server while connected', async () => {
    const { lines, logger } = capture();
    const client = createRedis(server.url, {
      role: 'command',
      logger,
      name: 't',
    });
    const admin = testRedis(server.url);
    try {
      expect(await client.ping()).toBe('PONG');
      const rotated = `rotated-${process.pid}-pw`;
      await admin.config('SET', 'requirepass', rotated);
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await waitFor(() => lines.some(l => /WRONGPASS/.test(l)), {
        timeoutMs: 15_000,
        what: 'the reconnect rejected',
      });
      logger.error(
        { err: await client.ping().catch((e: unknown) => e) },
        'ping',
      );
      expect(lines.join('')).not.toContain(RIGHT);
      await admin.auth(rotated);
      await admin.config('SET', 'requirepass', RIGHT);
    } finally {
      await closeRedis(client, 200);
      admin.disconnect();
    }
  });
});
