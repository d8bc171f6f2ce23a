import { Writable } from 'node:stream';
import { z } from 'zod';
import { configWarnings, parseEnv } from './config';
import {
  apiEnv,
  databaseEnv,
  httpBodyLimitBytes,
  requireApiToken,
} from './env-fragments';
import { createAppLogger } from './logger';

const api = z
  .object({ ...databaseEnv(), ...apiEnv(600) })
  .superRefine((cfg, ctx) => requireApiToken(cfg, ctx));

describe('shared env fragments', () => {
  it('defaults DATABASE_URL to the local PostgreSQL and rejects other schemes', () => {
    const cfg = parseEnv(api, { ALLOW_UNAUTHENTICATED: 'true' });
    expect(cfg.DATABASE_URL).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
    expect(cfg.API_RATE_LIMIT).toBe(600);
    expect(cfg.TRUST_PROXY).toBe(false);
    expect(() =>
      parseEnv(api, {
        ALLOW_UNAUTHENTICATED: 'true',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(/DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });

  it('requires API_TOKEN unless ALLOW_UNAUTHENTICATED=true, naming the reason when given', () => {
    expect(() => parseEnv(api, {})).toThrow(
      /API_TOKEN: is required \(or set ALLOW_UNAUTHENTICATED=true/,
    );
    expect(parseEnv(api, { API_TOKEN: 'x'.repeat(16) }).API_TOKEN).toBe(
      'x'.repeat(16),
    );
    const optional = z
      .object({ ON: z.stringbool().default(false), ...apiEnv(1) })
      .superRefine((cfg, ctx) => {
        if (cfg.ON) requireApiToken(cfg, ctx, 'ON=true');
      });
    expect(parseEnv(optional, {}).ON).toBe(false);
    expect(() => parseEnv(optional, { ON: 'true' })).toThrow(
      /API_TOKEN: is required when ON=true/,
    );
  });

  it('bounds HTTP_BODY_LIMIT_BYTES as the app asks', () => {
    const s = z.object({
      HTTP_BODY_LIMIT_BYTES: httpBodyLimitBytes({
        default: 4096,
        min: 256,
        max: 1024 * 1024,
      }),
    });
    expect(parseEnv(s, {}).HTTP_BODY_LIMIT_BYTES).toBe(4096);
    expect(() => parseEnv(s, { HTTP_BODY_LIMIT_BYTES: '100' })).toThrow(
      /HTTP_BODY_LIMIT_BYTES/,
    );
    expect(() => parseEnv(s, { HTTP_BODY_LIMIT_BYTES: '2000000' })).toThrow(
      /HTTP_BODY_LIMIT_BYTES/,
    );
  });
});

describe('parseEnv with renamed variables', () => {
  const s = z.object({
    LOG_LEVEL: z.string().default('info'),
    NEW_NAME: z.coerce.number().default(1),
  });
  const renamed = { OLD_NAME: 'NEW_NAME' };

  it('reads the deprecated name into the new one and says so', () => {
    const cfg = parseEnv(s, { OLD_NAME: '7' }, 'app', renamed);
    expect(cfg).toEqual({ LOG_LEVEL: 'info', NEW_NAME: 7 });
    expect(configWarnings(cfg)).toEqual([
      'OLD_NAME is deprecated: set NEW_NAME instead',
    ]);
  });

  it('has nothing to say when only the new name is set', () => {
    const cfg = parseEnv(s, { NEW_NAME: '3' }, 'app', renamed);
    expect(cfg.NEW_NAME).toBe(3);
    expect(configWarnings(cfg)).toEqual([]);
  });

  it('refuses both names at once', () => {
    expect(() =>
      parseEnv(s, { OLD_NAME: '7', NEW_NAME: '3' }, 'app', renamed),
    ).toThrow(/OLD_NAME: set only NEW_NAME/);
  });

  it('takes both names set to the same value, still naming the old one', () => {
    const cfg = parseEnv(s, { OLD_NAME: '7', NEW_NAME: '7' }, 'app', renamed);
    expect(cfg.NEW_NAME).toBe(7);
    expect(configWarnings(cfg)).toEqual([
      'OLD_NAME is deprecated: set NEW_NAME instead',
    ]);
  });

  it('validates the old name under the new one', () => {
    expect(() => parseEnv(s, { OLD_NAME: 'many' }, 'app', renamed)).toThrow(
      /NEW_NAME/,
    );
  });

  it('createAppLogger logs the warnings at its level', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const cfg = parseEnv(
      s,
      { OLD_NAME: '7', LOG_LEVEL: 'warn' },
      'app',
      renamed,
    );
    createAppLogger('app', cfg, destination).info('not shown');
    // On an unsupported Node.js its warning comes first (runtime.test.ts).
    const logged = lines
      .map(l => JSON.parse(l) as Record<string, unknown>)
      .filter(l => !('node' in l));
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'warn',
        service: 'app',
        msg: 'OLD_NAME is deprecated: set NEW_NAME instead',
      }),
    ]);
  });
});
