/**
 * JSON schemas of the /v1 API. Fastify validates requests against them and
 * the OpenAPI document is built from the same objects, so the two cannot
 * drift apart.
 */

import { MAX_STRATEGY_ID, STRATEGY_ID_PATTERN } from '@tickpulse/contracts';

/**
 * A path id is validated as text (canonical decimal, see
 * `parseStrategyId`); the handler checks the range and converts it.
 */
export const strategyIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      pattern: STRATEGY_ID_PATTERN,
      maxLength: 10,
      description: `strategies.strategyid: a canonical decimal integer from 1 to ${MAX_STRATEGY_ID}`,
    },
  },
} as const;

/** Optional: a request without a body (null) is valid too. */
export const enqueueBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    reason: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Why the sync is requested (logged with the job)',
    },
  },
} as const;

export const acceptedResponse = {
  type: 'object',
  required: ['jobId'],
  properties: {
    jobId: {
      type: 'string',
      description:
        'The job that will do the work. A request that collapses into an already waiting or running job returns that job',
    },
  },
} as const;

export const strategyStateResponse = {
  type: 'object',
  required: [
    'strategyId',
    'database',
    'redis',
    'inSync',
    'missing',
    'extra',
    'truncated',
    'counts',
  ],
  properties: {
    strategyId: { type: 'integer' },
    database: {
      type: 'object',
      required: ['exists', 'state', 'expected', 'invalid'],
      properties: {
        exists: { type: 'boolean' },
        alertActive: { type: ['boolean', 'null'] },
        universe: {
          type: ['array', 'null'],
          items: { type: ['string', 'null'] },
          description: 'alert_universe_full as stored',
        },
        state: {
          type: 'string',
          enum: [
            'active',
            'deleted',
            'inactive',
            'global',
            'no-valid-tickers',
            'malformed',
          ],
        },
        problem: {
          type: 'string',
          description:
            'For state malformed: why alert_universe_full is not a 1-D text array',
        },
        expected: {
          type: 'array',
          items: { type: 'string' },
          description: 'What STRAT:<id>:UNIV should hold (empty: no key)',
        },
        invalid: {
          type: 'array',
          items: { type: 'string' },
          description: 'Elements left out because they are not tickers',
        },
      },
    },
    redis: {
      type: 'object',
      required: ['exists', 'members'],
      properties: {
        exists: { type: 'boolean' },
        members: { type: 'array', items: { type: 'string' } },
      },
    },
    inSync: { type: 'boolean' },
    missing: {
      type: 'array',
      items: { type: 'string' },
      description: 'Expected but not in Redis',
    },
    extra: {
      type: 'array',
      items: { type: 'string' },
      description: 'In Redis but not expected',
    },
    truncated: {
      type: 'boolean',
      description:
        'True when a universe has more than 10 000 tickers on either side: each list then holds at most 10 000 entries (sorted, not necessarily the first in order) and counts gives the full sizes',
    },
    counts: {
      type: 'object',
      required: ['universe', 'expected', 'members', 'missing', 'extra'],
      description: 'Exact size of each list, also when it is truncated',
      properties: {
        universe: { type: 'integer' },
        expected: { type: 'integer' },
        members: { type: 'integer' },
        missing: { type: 'integer' },
        extra: { type: 'integer' },
      },
    },
  },
} as const;
