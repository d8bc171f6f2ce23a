import { captureLogger as capture } from './capture-logger';
import { Writable } from 'node:stream';
import { createAppLogger } from './logger';
import { redactSecrets, redactUrl, redactUrlsIn } from './redact';

describe('redactUrl', () => {
  it('replaces the userinfo password of Redis and PostgreSQL URLs', () => {
    expect(redactUrl('redis://:s3cret@h:6379/0')).toBe(
      'redis://:redacted@h:6379/0',
    );
    expect(redactUrl('rediss://user:s3cret@h:6380')).toBe(
      'rediss://user:redacted@h:6380',
    );
    expect(redactUrl('postgres://app:s3cret@db:5432/x')).toBe(
      'postgres://app:redacted@db:5432/x',
    );
  });

  it('replaces credential query parameters (ioredis and pg read ?password=, Polygon ?apiKey=)', () => {
    expect(redactUrl('redis://h:6379/?password=s3cret&family=6')).toBe(
      'redis://h:6379/?password=redacted&family=6',
    );
    expect(redactUrl('postgres://app@db/x?password=s3cret')).toBe(
      'postgres://app@db/x?password=redacted',
    );
    expect(redactUrl('wss://socket.polygon.io/stocks?apiKey=K3Y')).toBe(
      'wss://socket.polygon.io/stocks?apiKey=redacted',
    );
    expect(
      redactUrl('https://api.polygon.io/v2/snapshot?apiKey=K3Y&limit=5'),
    ).toBe('https://api.polygon.io/v2/snapshot?apiKey=redacted&limit=5');
  });

  it('leaves URLs without credentials alone and hides unparsable ones entirely', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('redis://:pw@[bad')).toBe('[unparsable url]');
  });

  it('redacts URLs inside free text', () => {
    expect(
      redactUrlsIn(
        'connect to redis://:s3cret@h:1 failed (postgres://a:b@c/d)',
      ),
    ).toBe(
      'connect to redis://:redacted@h:1 failed (postgres://a:redacted@c/d)',
    );
  });
});

describe('redactSecrets', () => {
  it('walks nested plain objects, arrays, causes and own error properties', () => {
    const inner = Object.assign(new Error('WRONGPASS invalid password'), {
      command: { name: 'auth', args: ['s3cret'] },
    });
    const outer = Object.assign(
      new Error('redis unavailable', { cause: inner }),
      { lastError: inner },
    );
    const aggregate = new AggregateError([inner], 'all nodes failed');
    const out = JSON.stringify(
      redactSecrets({
        err: outer,
        list: [{ password: 's3cret' }, 'redis://:s3cret@h'],
        deep: { a: { token: 's3cret' } },
        previous: [inner],
        aggregate,
      }),
    );
    expect(out).not.toContain('s3cret');
    expect(out).toContain('WRONGPASS');
  });

  it('keeps ordinary command arguments, bounded', () => {
    const err = Object.assign(new Error('OOM'), {
      command: {
        name: 'zadd',
        args: ['TICK:UPD', 'GT', 'CH', ...Array(50).fill('1'), 'x'.repeat(500)],
      },
    });
    const out = redactSecrets(err) as {
      command: { args: unknown[] };
    };
    expect(out.command.args.slice(0, 3)).toEqual(['TICK:UPD', 'GT', 'CH']);
    expect(out.command.args).toHaveLength(11);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: 'a', self: '[Circular]' });
  });
});

describe('createLogger', () => {
  it('never writes the password of a rejected AUTH or HELLO (ioredis attaches command.args)', () => {
    const { lines, logger } = capture();
    const auth = Object.assign(
      new Error('WRONGPASS invalid username-password pair'),
      {
        name: 'ReplyError',
        command: { name: 'auth', args: ['s3cret'] },
      },
    );
    const hello = Object.assign(new Error('WRONGPASS'), {
      command: { name: 'hello', args: [3, 'AUTH', 'default', 's3cret'] },
    });
    logger.warn({ err: auth }, 'redis connection error');
    logger.error(hello);
    logger.error({ error: auth, reason: hello }, 'under other keys');
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toContain('s3cret');
    expect(lines[0]).toContain('WRONGPASS');
    expect(JSON.parse(lines[0]!).err.command).toEqual({
      name: 'auth',
      args: ['[redacted]'],
    });
  });

  it('redacts URL credentials in messages, fields and error messages', () => {
    const { lines, logger } = capture();
    logger.info({ url: 'wss://h/stocks?apiKey=K3Y' }, 'connecting');
    logger.info('using redis://:s3cret@h:6379');
    logger.error(
      { err: new Error('cannot reach postgres://u@h/db?password=s3cret') },
      'failed',
    );
    const all = lines.join('');
    expect(all).not.toContain('K3Y');
    expect(all).not.toContain('s3cret');
    expect(all).toContain('apiKey=redacted');
  });
});

describe('the configured secrets, by value', () => {
  it('are redacted from messages, fields and errors, wherever a peer echoed them', () => {
    const key = 'pk-echoed-back-by-the-feed-0123';
    const password = 'p@ss word/2026';
    const lines: string[] = [];
    const logger = createAppLogger(
      'test',
      {
        LOG_LEVEL: 'info',
        POLYGON_API_KEY: key,
        API_TOKEN: 'short',
        DATABASE_URL: `postgres://u:${encodeURIComponent(password)}@h/db`,
        BULLMQ_PREFIX: 'bull-prefix-not-secret',
      } as { LOG_LEVEL: string },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    logger.warn({ status: 'error', message: `bad key ${key}` }, 'status');
    logger.warn(`feed said: ${key}`);
    logger.error({ err: new Error(`auth ${key} / ${password}`) }, 'failed');
    logger.info(
      { prefix: 'bull-prefix-not-secret' },
      'short secrets are words',
    );
    const all = lines.join('');
    expect(all).not.toContain(key);
    expect(all).not.toContain(password);
    expect(all).toContain('bad key [redacted]');
    // Too short to be told from a word, and not a secret's name: kept.
    expect(all).toContain('bull-prefix-not-secret');
  });
});
