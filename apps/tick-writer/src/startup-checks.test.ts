import type { RedisServerInfo } from '@tickpulse/shared';
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

  it('passes volatile-* policies: they only evict keys with a TTL, which tickpulse keys never have', () => {
    const a = assessRedisServer(
      info({ maxmemoryPolicy: 'volatile-lru', evictionSafe: true }),
    );
    expect(a.warnings).toEqual([]);
    expect(a.checks.eviction_policy).toBe(1);
  });

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
