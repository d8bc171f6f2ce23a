import { deployMemoryLimit, memoryLimitOf } from './deploy-limits';

describe('deploy memory limits', () => {
  it('reads limits.memory, not requests.memory', () => {
    const manifest = [
      '          resources:',
      '            requests:',
      '              cpu: 250m',
      '              memory: 128Mi',
      '            limits:',
      "              cpu: '1'",
      '              memory: 384Mi',
      '',
    ].join('\n');
    expect(memoryLimitOf(manifest)).toBe(384 * 2 ** 20);
    expect(memoryLimitOf('limits:\n  memory: 1Gi\n')).toBe(2 ** 30);
    expect(() => memoryLimitOf('requests:\n  memory: 1Gi\n')).toThrow(
      /no resources.limits.memory/,
    );
  });

  it('gives ingest 384 Mi and the other apps 256 Mi, as deploy/base says', () => {
    expect(deployMemoryLimit('ingest')).toBe(384 * 2 ** 20);
    for (const app of ['tick-writer', 'universe-sync', 'throttle-shadow'])
      expect(deployMemoryLimit(app)).toBe(256 * 2 ** 20);
  });
});
