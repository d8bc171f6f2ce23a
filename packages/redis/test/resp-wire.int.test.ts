import { Redis } from 'ioredis';
import {
  deletePrefix,
  startTcpProxy,
  TEST_REDIS_URL,
  testRedis,
  uniquePrefix,
  type TcpProxy,
} from '@tickpulse/testkit';
import { createKeys } from '@tickpulse/contracts';
import {
  createTickStore,
  queueEncodedMembersScript,
  queueEncodedSadd,
} from '../src/index';

// The prebuilt commands (ZaddGtCommand, EncodedSadd, EncodedMembersScript)
// subclass ioredis's Command and override its undocumented toWritable(): an
// ioredis release that stops calling it, or calls it differently, would send
// other bytes (or none) without a type error. Here ioredis talks to the real
// Redis through a loopback proxy that records what the client sends; each
// test pins the exact RESP frames of the production call and reads back what
// Redis applied. The bytes are written out by hand, not by the encoders.

const url = new URL(TEST_REDIS_URL);
const crlf = (...parts: string[]) => parts.map(p => `${p}\r\n`).join('');
/** A RESP array of bulk strings, spelled out. */
const frame = (...args: string[]) =>
  crlf(
    `*${args.length}`,
    ...args.flatMap(a => [`$${Buffer.byteLength(a)}`, a]),
  );

describe('prebuilt RESP commands on the wire', () => {
  const prefix = uniquePrefix('wire');
  const keys = createKeys(prefix);
  let proxy: TcpProxy;
  let client: Redis;
  let plain: Redis;
  let sent: Buffer[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(
      { host: url.hostname, port: Number(url.port || 6379) },
      chunk => sent.push(chunk),
    );
    client = new Redis(proxy.port, '127.0.0.1', {
      protocol: 2,
      db: Number(url.pathname.slice(1) || 0),
      maxRetriesPerRequest: 1,
    });
    plain = testRedis();
    await client.ping();
  });

  // Whatever ioredis sent to connect (ready check, SELECT) is not pinned.
  beforeEach(() => {
    sent = [];
  });

  afterAll(async () => {
    await deletePrefix(plain, prefix);
    await Promise.all([client.quit(), plain.quit()]);
    await proxy.close();
  });

  /** What the client sent since the test began (complete: Redis has replied). */
  const wire = () => Buffer.concat(sent).toString('latin1');

  it('writes TICK:UPD with one ZADD GT CH frame per chunk, as built', async () => {
    const key = keys.tickUpd();
    const store = createTickStore(client, keys);

    const first = await store.markUpdated([
      ['AAPL', 1_700_000_000_123],
      ['BRK.B', 1_700_000_000_456],
    ]);

    expect(wire()).toBe(
      frame(
        'zadd',
        key,
        'GT',
        'CH',
        '1700000000123',
        'AAPL',
        '1700000000456',
        'BRK.B',
      ),
    );
    expect(first).toEqual({ sent: 2, changed: 2, calls: 1 });

    sent = [];
    const second = await store.markUpdated(
      [
        ['AAPL', 1_699_999_999_999],
        ['MSFT', 1_700_000_001_000],
      ],
      1,
    );
    expect(wire()).toBe(
      frame('zadd', key, 'GT', 'CH', '1699999999999', 'AAPL') +
        frame('zadd', key, 'GT', 'CH', '1700000001000', 'MSFT'),
    );
    // GT: the older AAPL time was sent and not applied.
    expect(second).toEqual({ sent: 2, changed: 1, calls: 2 });
    expect(await plain.zrange(key, 0, -1, 'WITHSCORES')).toEqual([
      'AAPL',
      '1700000000123',
      'BRK.B',
      '1700000000456',
      'MSFT',
      '1700000001000',
    ]);
  });

  it('sends SADD inside MULTI/EXEC as built, UTF-8 lengths in bytes', async () => {
    const key = keys.stratUniv(7);
    const tx = client.multi();
    queueEncodedSadd(tx, key, ['AAPL', 'BRK.B']);
    queueEncodedSadd(tx, key, ['ÄBC']);
    const replies = await tx.exec();

    expect(wire()).toBe(
      frame('multi') +
        frame('SADD', key, 'AAPL', 'BRK.B') +
        // Ä is two bytes in UTF-8: `$4`, not `$3`.
        crlf('*3', '$4', 'SADD', `$${key.length}`, key, '$4', '\xc3\x84BC') +
        frame('exec'),
    );
    expect(replies).toEqual([
      [null, 2],
      [null, 1],
    ]);
    expect((await plain.smembers(key)).sort()).toEqual([
      'AAPL',
      'BRK.B',
      'ÄBC',
    ]);
  });

  it('sends EVAL with one argument per member on a pipeline, as built', async () => {
    const key = keys.stratUniv(8);
    await plain.sadd(key, 'AAPL', 'MSFT');
    const script = "return redis.call('SMISMEMBER', KEYS[1], unpack(ARGV))";
    const pipeline = client.pipeline();
    queueEncodedMembersScript(pipeline, script, key, ['AAPL', 'TSLA', 'MSFT']);
    const replies = await pipeline.exec();

    expect(wire()).toBe(
      frame('EVAL', script, '1', key, 'AAPL', 'TSLA', 'MSFT'),
    );
    expect(replies).toEqual([[null, [1, 0, 1]]]);
  });
});
