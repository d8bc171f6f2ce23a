import { z } from 'zod';
import { baseEnvSchema, duration, durationAccepts } from './config';
import { describeEnvSchema, envSchemaShape } from './env-doc';

describe('describeEnvSchema', () => {
  const schema = z
    .object({
      WAIT_MS: duration('50').describe('how long to wait'),
      COUNT: z.coerce
        .number()
        .int()
        .min(1)
        .max(10)
        .default(3)
        .describe('how many'),
      SOME: z.coerce.number().int().positive().default(4).describe('some'),
      RATE: z.coerce.number().min(0).default(1.5).describe('how fast'),
      MODE: z.enum(['a', 'b']).default('a').describe('which way'),
      ON: z.stringbool().default(false).describe('whether'),
      NAME: z.string().optional().describe('who'),
      WHERE: z.url().optional().describe('where'),
      PREFIX: z.string().default('').describe('namespace'),
      LATER: z
        .string()
        .optional()
        .meta({ defaultText: 'computed' })
        .describe('derived'),
    })
    .superRefine(() => undefined);

  it('renders each variable in declaration order with its accepted forms and default', () => {
    expect(describeEnvSchema(schema, { OLD_WAIT_MS: 'WAIT_MS' })).toEqual([
      {
        name: 'WAIT_MS',
        accepts: durationAccepts('ms'),
        default: '`50`',
        description: 'how long to wait',
        aliases: ['OLD_WAIT_MS'],
      },
      {
        name: 'COUNT',
        accepts: 'integer 1 … 10',
        default: '`3`',
        description: 'how many',
        aliases: [],
      },
      {
        name: 'SOME',
        accepts: 'integer ≥ 1',
        default: '`4`',
        description: 'some',
        aliases: [],
      },
      {
        name: 'RATE',
        accepts: 'number ≥ 0',
        default: '`1.5`',
        description: 'how fast',
        aliases: [],
      },
      {
        name: 'MODE',
        accepts: '`a`, `b`',
        default: '`a`',
        description: 'which way',
        aliases: [],
      },
      {
        name: 'ON',
        accepts: '`true` / `false`',
        default: '`false`',
        description: 'whether',
        aliases: [],
      },
      {
        name: 'NAME',
        accepts: 'text',
        default: '(unset)',
        description: 'who',
        aliases: [],
      },
      {
        name: 'WHERE',
        accepts: 'URL',
        default: '(unset)',
        description: 'where',
        aliases: [],
      },
      {
        name: 'PREFIX',
        accepts: 'text',
        default: '(empty)',
        description: 'namespace',
        aliases: [],
      },
      {
        name: 'LATER',
        accepts: 'text',
        default: 'computed',
        description: 'derived',
        aliases: [],
      },
    ]);
  });

  it('refuses a variable without a description', () => {
    expect(() =>
      describeEnvSchema(z.object({ BARE: z.string().optional() })),
    ).toThrow(/BARE has no description/);
  });

  it('documents every common variable', () => {
    const rows = describeEnvSchema(z.object(baseEnvSchema(9000)));
    expect(rows.map(r => r.name)).toEqual(
      Object.keys(envSchemaShape(z.object(baseEnvSchema(9000)))),
    );
    expect(rows.find(r => r.name === 'HTTP_PORT')).toMatchObject({
      accepts: 'integer 0 … 65535',
      default: '`9000`',
    });
    expect(rows.find(r => r.name === 'BULLMQ_PREFIX')?.default).toBe(
      '`bull`; `{tickpulse}` with `REDIS_CLUSTER_NODES`',
    );
  });
});
