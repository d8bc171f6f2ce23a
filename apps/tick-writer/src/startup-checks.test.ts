import type { RedisServerInfo } from '@tickpulse/redis';
import { assessRedisServer } from './startup-checks';

const info = (over: Partial<RedisServerInfo>): RedisServerInfo => ({
  version: '7.0.15',
  supportsZaddGt: true,
  maxmemoryPolicy: 'noeviction',
  evictionSafe: true,
  ...over,
});

describe('assessRedisServer', () => {
  it('passes a 7.x server with noeviction', () => {
    expect(assessRedisServer(info({}))).toEqual({
      fatal: null,
      warnings: [],
      checks: { version: 1, eviction_policy: 1 },
    });
  });

  it.each(['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'])(
    'warns on %s naming the keys with a TTL it may evict, the ingest lease first',
    policy => {
      const a = assessRedisServer(
        info({ maxmemoryPolicy: policy, evictionSafe: false }),
      );
      expect(a.fatal).toBeNull();
      expect(a.checks.eviction_policy).toBe(0);
      expect(a.warnings).toHaveLength(1);
      const w = a.warnings[0]!;
      expect(w).toContain(policy);
      expect(w).toContain('TICKPULSE:LEASE:ingest');
      expect(w).toContain('a standby then connects beside the leader');
      for (const key of ['STRAT:<id>:CLAIM', 'scratch sets', 'job locks'])
        expect(w).toContain(key);
      // Keys without a TTL are safe from volatile-*: the warning must not claim otherwise.
      expect(w).not.toContain('TICK:UPD');
      expect(w).toContain('set it to noeviction');
    },
  );

  it.each(['allkeys-lru', 'allkeys-lfu', 'allkeys-random'])(
    'warns loudly but starts when the policy is %s',
    policy => {
      const a = assessRedisServer(
        info({ maxmemoryPolicy: policy, evictionSafe: false }),
      );
      expect(a.fatal).toBeNull();
      expect(a.checks.eviction_policy).toBe(0);
      expect(a.warnings).toHaveLength(1);
      expect(a.warnings[0]).toContain(policy);
      expect(a.warnings[0]).toContain('may evict any key');
      expect(a.warnings[0]).toContain('TICK:UPD');
      expect(a.warnings[0]).toContain('TICKPULSE:LEASE:ingest');
      expect(a.warnings[0]).toContain('noeviction');
    },
  );

  it('warns when the policy cannot be read (managed Redis refusing CONFIG)', () => {
    const a = assessRedisServer(
      info({ maxmemoryPolicy: null, evictionSafe: null }),
    );
    expect(a.fatal).toBeNull();
    expect(a.checks.eviction_policy).toBe(-1);
    expect(a.warnings[0]).toContain('cannot read maxmemory-policy');
  });

  it.each(['6.0.16', '5.0.14', '6.1.9'])(
    'refuses Redis %s (no ZADD GT)',
    version => {
      const a = assessRedisServer(info({ version, supportsZaddGt: false }));
      expect(a.fatal).toContain(version);
      expect(a.fatal).toContain('6.2');
      expect(a.checks.version).toBe(0);
    },
  );

  it('refuses an old server and still reports its eviction risk', () => {
    const a = assessRedisServer(
      info({
        version: '6.0.0',
        supportsZaddGt: false,
        maxmemoryPolicy: 'allkeys-lru',
        evictionSafe: false,
      }),
    );
    expect(a.fatal).not.toBeNull();
    expect(a.warnings).toHaveLength(1);
  });
});
