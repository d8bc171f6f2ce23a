import { seededRandom } from '@tickpulse/testkit';
import {
  bucketStart,
  InvalidTimeframeError,
  parseTimeframe,
  type Timeframe,
} from './bucket';
import { goBucketStart } from '../test/go-bucket-start';

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

const wall = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const nyWall = (t: number) =>
  Object.fromEntries(
    wall
      .formatToParts(new Date(t))
      .filter(p => p.type !== 'literal')
      .map(p => [p.type, p.value]),
  );

describe('parseTimeframe', () => {
  it.each([
    ['1m', { n: 1, unit: 'm' }],
    ['15', { n: 15, unit: 'm' }],
    ['15M', { n: 15, unit: 'm' }],
    ['4h', { n: 4, unit: 'h' }],
    ['1D', { n: 1, unit: 'd' }],
    ['2w', { n: 2, unit: 'w' }],
    ['3q', { n: 3, unit: 'q' }],
    ['10Y', { n: 10, unit: 'y' }],
    ['007d', { n: 7, unit: 'd' }],
  ])('parses %j', (tf, expected) => {
    expect(parseTimeframe(tf)).toEqual(expected);
  });

  it.each([
    ['', /empty timeframe/],
    ['0', /at least 1/],
    ['0m', /at least 1/],
    ['00d', /at least 1/],
    ['m', /expected a count/],
    ['1x', /expected a count/],
    ['1s', /expected a count/],
    ['1.5h', /expected a count/],
    ['-1h', /expected a count/],
    [' 1h', /expected a count/],
    ['1h ', /expected a count/],
    ['1 h', /expected a count/],
    ['1mm', /expected a count/],
    ['1001y', /1000 years/],
    ['99999999999999999999m', /1000 years/],
  ])('rejects %j with a typed error', (tf, message) => {
    let caught: unknown;
    try {
      parseTimeframe(tf);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidTimeframeError);
    expect((caught as InvalidTimeframeError).name).toBe(
      'InvalidTimeframeError',
    );
    expect((caught as InvalidTimeframeError).timeframe).toBe(tf);
    expect((caught as Error).message).toMatch(message);
  });

  it.each([undefined, null, 5, {}])('rejects the non-string %p', tf => {
    expect(() => parseTimeframe(tf)).toThrow(InvalidTimeframeError);
  });

  it('rejects invalid timeframes in bucketStart too', () => {
    expect(() => bucketStart(ms('2025-07-15T14:00:00Z'), '')).toThrow(
      InvalidTimeframeError,
    );
    expect(() => bucketStart(ms('2025-07-15T14:00:00Z'), '5x')).toThrow(
      InvalidTimeframeError,
    );
    expect(() =>
      bucketStart(ms('2025-07-15T14:00:00Z'), { n: 0, unit: 'd' }),
    ).toThrow(InvalidTimeframeError);
  });

  it.each([NaN, Infinity, -Infinity, Date.UTC(1800, 0, 1)])(
    'rejects the time %p',
    t => {
      expect(() => bucketStart(t, '1d')).toThrow(RangeError);
    },
  );
});

describe('bucketStart', () => {
  // [time, timeframe, expected start]. ET = America/New_York; EDT = UTC−4, EST = UTC−5.
  const cases: [string, string, string, string][] = [
    // minutes and hours: UTC, floored from the Unix epoch
    ['2025-07-15T14:03:27.123Z', '1m', '2025-07-15T14:03:00.000Z', 'minute'],
    [
      '2025-07-15T14:03:27.123Z',
      '5',
      '2025-07-15T14:00:00.000Z',
      'no unit = minutes',
    ],
    [
      '2025-07-15T14:03:27.123Z',
      '15M',
      '2025-07-15T14:00:00.000Z',
      'upper case',
    ],
    [
      '2025-07-15T14:44:59.999Z',
      '45m',
      '2025-07-15T14:15:00.000Z',
      '45m from the epoch',
    ],
    [
      '2025-07-15T14:00:00.000Z',
      '1h',
      '2025-07-15T14:00:00.000Z',
      'on a boundary',
    ],
    [
      '2025-07-15T13:59:59.999Z',
      '1h',
      '2025-07-15T13:00:00.000Z',
      '1 ms before a boundary',
    ],
    ['2025-07-15T14:03:00.000Z', '4h', '2025-07-15T12:00:00.000Z', '4h'],
    [
      '2025-07-15T14:03:00.000Z',
      '24h',
      '2025-07-15T00:00:00.000Z',
      '24h is a UTC day, not an ET day',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '7m',
      '2025-07-15T14:03:00.000Z',
      '7m from the epoch',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '25m',
      '2025-07-15T14:00:00.000Z',
      '25m from the epoch',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '5h',
      '2025-07-15T14:00:00.000Z',
      '5h from the epoch',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '10h',
      '2025-07-15T14:00:00.000Z',
      '10h from the epoch',
    ],
    [
      '2025-03-09T07:30:00.000Z',
      '1h',
      '2025-03-09T07:00:00.000Z',
      'hours ignore DST',
    ],
    // days: 00:00 ET
    [
      '2025-07-15T03:59:59.999Z',
      '1d',
      '2025-07-14T04:00:00.000Z',
      '23:59:59.999 EDT',
    ],
    ['2025-07-15T04:00:00.000Z', '1d', '2025-07-15T04:00:00.000Z', '00:00 EDT'],
    ['2025-01-15T04:59:00.000Z', '1d', '2025-01-14T05:00:00.000Z', '23:59 EST'],
    [
      '1970-01-01T00:00:00.000Z',
      '1d',
      '1969-12-31T05:00:00.000Z',
      'the epoch is 19:00 EST on Dec 31',
    ],
    // spring forward: Sunday 2025-03-09 02:00 EST → 03:00 EDT (a 23-hour day)
    [
      '2025-03-09T07:30:00.000Z',
      '1d',
      '2025-03-09T05:00:00.000Z',
      '03:30 EDT on the 23-hour day',
    ],
    [
      '2025-03-10T03:59:59.999Z',
      '1d',
      '2025-03-09T05:00:00.000Z',
      'last ms of the 23-hour day',
    ],
    [
      '2025-03-10T04:00:00.000Z',
      '1d',
      '2025-03-10T04:00:00.000Z',
      'first EDT midnight',
    ],
    [
      '2025-03-11T04:30:00.000Z',
      '2d',
      '2025-03-11T04:00:00.000Z',
      '2d, 00:30 EDT on a bucket start',
    ],
    [
      '2025-03-10T04:30:00.000Z',
      '2d',
      '2025-03-09T05:00:00.000Z',
      '2d bucket spanning the change',
    ],
    // fall back: Sunday 2025-11-02 02:00 EDT → 01:00 EST (a 25-hour day)
    [
      '2025-11-02T05:30:00.000Z',
      '1d',
      '2025-11-02T04:00:00.000Z',
      'first 01:30 (EDT)',
    ],
    [
      '2025-11-02T06:30:00.000Z',
      '1d',
      '2025-11-02T04:00:00.000Z',
      'second 01:30 (EST)',
    ],
    [
      '2025-11-03T04:59:59.999Z',
      '1d',
      '2025-11-02T04:00:00.000Z',
      'last ms of the 25-hour day',
    ],
    [
      '2025-11-03T05:00:00.000Z',
      '1d',
      '2025-11-03T05:00:00.000Z',
      'first EST midnight',
    ],
    [
      '2025-11-02T04:30:00.000Z',
      '2d',
      '2025-11-02T04:00:00.000Z',
      '2d at 00:30 EDT on the 25-hour day',
    ],
    [
      '2025-11-04T04:59:59.999Z',
      '2d',
      '2025-11-02T04:00:00.000Z',
      '2d bucket spanning fall back',
    ],
    [
      '2025-11-04T05:00:00.000Z',
      '2d',
      '2025-11-04T05:00:00.000Z',
      '2d next bucket, EST',
    ],
    [
      '2025-07-17T04:30:00.000Z',
      '3d',
      '2025-07-17T04:00:00.000Z',
      '3d, 00:30 EDT on a bucket start',
    ],
    [
      '2025-07-16T23:00:00.000Z',
      '3d',
      '2025-07-14T04:00:00.000Z',
      '3d inside a bucket',
    ],
    // weeks: Monday 00:00 ET
    ['2025-07-16T16:00:00.000Z', '1w', '2025-07-14T04:00:00.000Z', 'Wednesday'],
    [
      '2025-07-21T03:59:59.999Z',
      '1w',
      '2025-07-14T04:00:00.000Z',
      'Sunday 23:59:59.999 EDT',
    ],
    [
      '2025-07-21T04:00:00.000Z',
      '1w',
      '2025-07-21T04:00:00.000Z',
      'Monday 00:00 EDT',
    ],
    [
      '2025-03-09T12:00:00.000Z',
      '1w',
      '2025-03-03T05:00:00.000Z',
      'week holding spring forward',
    ],
    [
      '2025-11-09T12:00:00.000Z',
      '1w',
      '2025-11-03T05:00:00.000Z',
      'first EST week',
    ],
    [
      '2025-07-21T16:00:00.000Z',
      '2w',
      '2025-07-21T04:00:00.000Z',
      '2w in EDT on a bucket start',
    ],
    [
      '2025-07-14T16:00:00.000Z',
      '2w',
      '2025-07-07T04:00:00.000Z',
      '2w in EDT, second week',
    ],
    [
      '2025-03-17T16:00:00.000Z',
      '2w',
      '2025-03-17T04:00:00.000Z',
      '2w, first EDT bucket',
    ],
    [
      '2025-03-10T16:00:00.000Z',
      '2w',
      '2025-03-03T05:00:00.000Z',
      '2w bucket spanning spring forward',
    ],
    [
      '2025-11-03T16:00:00.000Z',
      '2w',
      '2025-10-27T04:00:00.000Z',
      '2w bucket spanning fall back',
    ],
    [
      '2025-07-21T16:00:00.000Z',
      '3w',
      '2025-07-21T04:00:00.000Z',
      '3w in EDT on a bucket start',
    ],
    [
      '1970-01-05T05:00:00.000Z',
      '4w',
      '1970-01-05T05:00:00.000Z',
      'week 0 starts Monday 1970-01-05',
    ],
    // quarters: Jan/Apr/Jul/Oct 1, 00:00 ET
    [
      '2025-04-01T03:59:59.999Z',
      '1q',
      '2025-01-01T05:00:00.000Z',
      '23:59:59.999 EDT Mar 31',
    ],
    [
      '2025-04-01T04:00:00.000Z',
      '1q',
      '2025-04-01T04:00:00.000Z',
      'Apr 1 00:00 EDT',
    ],
    [
      '2025-12-31T12:00:00.000Z',
      '1q',
      '2025-10-01T04:00:00.000Z',
      'Q4 started in EDT',
    ],
    [
      '2025-08-15T12:00:00.000Z',
      '2q',
      '2025-07-01T04:00:00.000Z',
      '2q: quarter 222 since 1970',
    ],
    [
      '2025-05-15T12:00:00.000Z',
      '2q',
      '2025-01-01T05:00:00.000Z',
      '2q: quarter 221 → 220',
    ],
    [
      '2025-05-15T12:00:00.000Z',
      '3q',
      '2024-10-01T04:00:00.000Z',
      '3q crosses a year',
    ],
    // years: Jan 1, 00:00 ET
    [
      '2026-01-01T04:59:59.999Z',
      '1y',
      '2025-01-01T05:00:00.000Z',
      '23:59:59.999 EST Dec 31',
    ],
    [
      '2026-01-01T05:00:00.000Z',
      '1Y',
      '2026-01-01T05:00:00.000Z',
      'New Year 00:00 EST',
    ],
    [
      '2025-06-01T12:00:00.000Z',
      '2y',
      '2024-01-01T05:00:00.000Z',
      '2y from 1970',
    ],
    [
      '2025-06-01T12:00:00.000Z',
      '5y',
      '2025-01-01T05:00:00.000Z',
      '5y from 1970',
    ],
    [
      '2025-06-01T12:00:00.000Z',
      '3y',
      '2024-01-01T05:00:00.000Z',
      '3y from 1970',
    ],
  ];

  it.each(cases)('%s %s → %s (%s)', (time, tf, expected) => {
    expect(iso(bucketStart(ms(time), tf))).toBe(expected);
  });

  it('accepts a parsed timeframe', () => {
    const tf: Timeframe = { n: 2, unit: 'w' };
    expect(iso(bucketStart(ms('2025-07-21T16:00:00Z'), tf))).toBe(
      '2025-07-21T04:00:00.000Z',
    );
  });

  const units = ['m', 'h', 'd', 'w', 'q', 'y'] as const;
  const maxN = { m: 240, h: 48, d: 10, w: 6, q: 8, y: 5 };
  it('is idempotent, monotone and never after the time (random times 1990–2060)', () => {
    const rand = seededRandom(42);
    for (let i = 0; i < 3000; i++) {
      const unit = units[i % units.length]!;
      const n = 1 + Math.floor(rand() * maxN[unit]);
      const tf = `${n}${unit}`;
      const t = Math.floor(ms('1990-01-01T00:00:00Z') + rand() * 2.2e12);
      const start = bucketStart(t, tf);
      expect(start).toBeLessThanOrEqual(t);
      expect(bucketStart(start, tf)).toBe(start);
      const later = t + Math.floor(rand() * 40 * 86_400_000);
      expect(bucketStart(later, tf)).toBeGreaterThanOrEqual(start);
      if (start > ms('1900-01-02T00:00:00Z')) {
        expect(bucketStart(start - 1, tf)).toBeLessThan(start);
      }
      if (unit !== 'm' && unit !== 'h') {
        const w = nyWall(start);
        expect([w.hour, w.minute, w.second]).toEqual(['00', '00', '00']);
        if (unit === 'w') expect(w.weekday).toBe('Mon');
      }
    }
  });

  it('agrees with the Go backend for 1d/1w/1q/1y and the usual minute and hour sizes', () => {
    const rand = seededRandom(7);
    const sizes = [
      ...['1', '5', '15', '30', '60', '90', '120', '240'],
      ...[
        '1m',
        '2m',
        '3m',
        '4m',
        '5m',
        '6m',
        '8m',
        '10m',
        '12m',
        '15m',
        '20m',
        '30m',
        '45m',
      ],
      ...['1h', '2h', '3h', '4h', '6h', '8h', '12h', '24h'],
      ...['1d', '1w', '1q', '1y', '2q', '4q', '2y', '10y'],
    ];
    for (let i = 0; i < 4000; i++) {
      const tf = sizes[i % sizes.length]!;
      const t = Math.floor(ms('1990-01-01T00:00:00Z') + rand() * 2.2e12);
      expect([tf, t, bucketStart(t, tf)]).toEqual([
        tf,
        t,
        goBucketStart(t, tf),
      ]);
    }
  });

  it('agrees with the Go backend for multi-day and multi-week buckets in EST', () => {
    // Go's quirk needs a UTC−4 offset; in winter its hour arithmetic is exact.
    const rand = seededRandom(11);
    for (let i = 0; i < 1000; i++) {
      const tf = `${2 + (i % 5)}${i % 2 ? 'd' : 'w'}`;
      const day = Math.floor(rand() * 40); // Dec 5 .. Jan 13
      const t =
        ms('2024-12-05T06:00:00Z') +
        day * 86_400_000 +
        Math.floor(rand() * 86_400_000);
      if (tf.endsWith('w')) {
        // Go numbers weeks from the bucket's Monday; keep that Monday in EST too.
        if (bucketStart(t, '1w') < ms('2024-12-09T05:00:00Z')) continue;
      }
      expect([tf, iso(t), iso(bucketStart(t, tf))]).toEqual([
        tf,
        iso(t),
        iso(goBucketStart(t, tf)),
      ]);
    }
  });
});

describe('differences from the Go backend (BUCKETS.md)', () => {
  // [time, timeframe, tickpulse, Go] — every row of the table in BUCKETS.md.
  const rows: [string, string, string, string][] = [
    [
      '2025-03-11T04:30:00.000Z',
      '2d',
      '2025-03-11T04:00:00.000Z',
      '2025-03-09T05:00:00.000Z',
    ],
    [
      '2025-07-17T04:30:00.000Z',
      '2d',
      '2025-07-17T04:00:00.000Z',
      '2025-07-15T04:00:00.000Z',
    ],
    [
      '2025-07-17T04:30:00.000Z',
      '3d',
      '2025-07-17T04:00:00.000Z',
      '2025-07-14T04:00:00.000Z',
    ],
    [
      '2025-11-02T04:30:00.000Z',
      '2d',
      '2025-11-02T04:00:00.000Z',
      '2025-10-31T04:00:00.000Z',
    ],
    [
      '2025-03-17T16:00:00.000Z',
      '2w',
      '2025-03-17T04:00:00.000Z',
      '2025-03-03T05:00:00.000Z',
    ],
    [
      '2025-07-21T16:00:00.000Z',
      '2w',
      '2025-07-21T04:00:00.000Z',
      '2025-07-07T04:00:00.000Z',
    ],
    [
      '2025-07-07T16:00:00.000Z',
      '2w',
      '2025-07-07T04:00:00.000Z',
      '2025-06-23T04:00:00.000Z',
    ],
    [
      '2025-07-21T16:00:00.000Z',
      '3w',
      '2025-07-21T04:00:00.000Z',
      '2025-06-30T04:00:00.000Z',
    ],
    [
      '2025-10-27T16:00:00.000Z',
      '2w',
      '2025-10-27T04:00:00.000Z',
      '2025-10-13T04:00:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '7m',
      '2025-07-15T14:03:00.000Z',
      '2025-07-15T14:02:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '7',
      '2025-07-15T14:03:00.000Z',
      '2025-07-15T14:02:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '11m',
      '2025-07-15T13:56:00.000Z',
      '2025-07-15T14:00:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '25m',
      '2025-07-15T14:00:00.000Z',
      '2025-07-15T13:55:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '5h',
      '2025-07-15T14:00:00.000Z',
      '2025-07-15T11:00:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '9h',
      '2025-07-15T12:00:00.000Z',
      '2025-07-15T09:00:00.000Z',
    ],
    [
      '2025-07-15T14:03:00.000Z',
      '10h',
      '2025-07-15T14:00:00.000Z',
      '2025-07-15T06:00:00.000Z',
    ],
  ];
  it.each(rows)('%s %s: tickpulse %s, Go %s', (time, tf, ours, go) => {
    expect(iso(bucketStart(ms(time), tf))).toBe(ours);
    expect(iso(goBucketStart(ms(time), tf))).toBe(go);
  });
});
