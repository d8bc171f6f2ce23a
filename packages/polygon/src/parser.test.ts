import { seededRandom } from '@tickpulse/testkit';
import { FrameParser, parseFrame, type ParsedFrame } from './parser';

const T1 =
  '{"ev":"T","sym":"NVDA","x":12,"i":"6201","z":3,"p":171.02,"s":200,"t":1752586200412,"q":4410021}';
const T2 =
  '{"ev":"T","sym":"NVDA","x":4,"i":"88127","z":3,"p":171.03,"s":7,"ds":"7","c":[37],"t":1752586200415,"q":4410035,"trfi":202,"trft":1752586200414}';
const T3 =
  '{"ev":"T","sym":"SPY","x":11,"i":"3310","z":2,"p":624.18,"s":100,"c":[14,41],"t":1752586200419,"q":9120448}';
const ST =
  '{"ev":"status","status":"success","message":"subscribed to: T.QQQ"}';

function both(text: string): { fast: ParsedFrame | null; slow: ParsedFrame } {
  const p = new FrameParser();
  const fast = p.parseFast(text) ? p.toParsedFrame() : null;
  const q = new FrameParser();
  q.parseSlow(text);
  return { fast, slow: q.toParsedFrame() };
}

describe('parseFrame', () => {
  it('parses the reference example frame on the fast path', () => {
    const text = `[${T1},${T2},${T3},${ST}]`;
    const { fast, slow } = both(text);
    expect(fast).not.toBeNull();
    expect(fast).toEqual(slow);
    expect(slow).toEqual({
      trades: [
        { sym: 'NVDA', t: 1752586200412, c: undefined },
        { sym: 'NVDA', t: 1752586200415, c: [37] },
        { sym: 'SPY', t: 1752586200419, c: [14, 41] },
      ],
      statuses: [
        { ev: 'status', status: 'success', message: 'subscribed to: T.QQQ' },
      ],
      invalid: {},
      ignored: 0,
      tradeEvents: 3,
    });
  });

  it('accepts a Buffer', () => {
    expect(parseFrame(Buffer.from(`[${T1}]`)).trades).toHaveLength(1);
  });

  it.each([
    ['not json', '[{"ev":"T",', { malformed_json: 1 }],
    ['empty', '', { malformed_json: 1 }],
    ['a non-array', T1, { not_array: 1 }],
    ['a non-object element', '[1,"x",null,[]]', { not_object: 4 }],
    [
      'an event without ev',
      '[{"sym":"A","t":1752586200412}]',
      { bad_event: 1 },
    ],
    [
      'a status without status',
      '[{"ev":"status","message":"x"}]',
      { bad_status: 1 },
    ],
    ['a trade without t', '[{"ev":"T","sym":"A"}]', { missing_field: 1 }],
    [
      'a trade without sym',
      '[{"ev":"T","t":1752586200412}]',
      { missing_field: 1 },
    ],
    [
      'a numeric sym',
      '[{"ev":"T","sym":5,"t":1752586200412}]',
      { bad_field: 1 },
    ],
    [
      'a string t',
      '[{"ev":"T","sym":"A","t":"1752586200412"}]',
      { bad_field: 1 },
    ],
    [
      'a string price',
      '[{"ev":"T","sym":"A","t":1752586200412,"p":"1.5"}]',
      { bad_field: 1 },
    ],
    [
      'a null size',
      '[{"ev":"T","sym":"A","t":1752586200412,"s":null}]',
      { bad_field: 1 },
    ],
    [
      'conditions not a list',
      '[{"ev":"T","sym":"A","t":1752586200412,"c":37}]',
      { bad_conditions: 1 },
    ],
    [
      'a fractional condition',
      '[{"ev":"T","sym":"A","t":1752586200412,"c":[3.5]}]',
      { bad_conditions: 1 },
    ],
    [
      'a negative condition',
      '[{"ev":"T","sym":"A","t":1752586200412,"c":[-1]}]',
      { bad_conditions: 1 },
    ],
    [
      'a lower-case ticker',
      '[{"ev":"T","sym":"aapl","t":1752586200412}]',
      { bad_ticker: 1 },
    ],
    [
      'an empty ticker',
      '[{"ev":"T","sym":"","t":1752586200412}]',
      { bad_ticker: 1 },
    ],
  ])('counts %s and skips it', (_what, text, invalid) => {
    const { fast, slow } = both(text);
    expect(slow.invalid).toEqual(invalid);
    expect(slow.trades).toEqual([]);
    if (fast) expect(fast).toEqual(slow);
  });

  it('skips the bad events of a frame and keeps the good ones', () => {
    const text = `[${T1},{"ev":"T","sym":1},7,{"ev":"Q","sym":"A"},${T3}]`;
    const { fast, slow } = both(text);
    expect(fast).toEqual(slow);
    expect(slow.trades.map(t => t.sym)).toEqual(['NVDA', 'SPY']);
    expect(slow.invalid).toEqual({ missing_field: 1, not_object: 1 });
    expect(slow.ignored).toBe(1);
    expect(slow.tradeEvents).toBe(3);
  });

  it('takes the last of duplicate keys, like JSON.parse', () => {
    const { fast, slow } = both(
      '[{"ev":"T","sym":"A","t":"x","t":1752586200412}]',
    );
    expect(fast).toEqual(slow);
    expect(slow.trades).toHaveLength(1);
  });

  it('decodes UTF-8 (even invalid) in status messages like JSON.parse does', () => {
    const p = new FrameParser();
    const raw = Buffer.concat([
      Buffer.from('[{"ev":"status","status":"error","message":"caf'),
      Buffer.from([0xc3, 0xa9, 0x20, 0xff, 0xfe]),
      Buffer.from('"}]'),
    ]);
    expect(p.parseFast(raw)).toBe(true);
    const fast = p.toParsedFrame();
    const q = new FrameParser();
    q.parseSlow(raw.toString('utf8'));
    expect(fast).toEqual(q.toParsedFrame());
    expect(fast.statuses[0]!.message).toBe('café \ufffd\ufffd');
  });

  it('falls back for escapes and still gets them right', () => {
    const text = '[{"ev":"T","sym":"\\u0041","t":1752586200412}]';
    const { fast, slow } = both(text);
    expect(fast).toBeNull();
    expect(slow.trades).toEqual([{ sym: 'A', t: 1752586200412, c: undefined }]);
  });
});

// ---- randomized equivalence ------------------------------------------------

function randomFrame(r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ws = () => (r() < 0.1 ? pick([' ', '\n', '\t ', '\r\n']) : '');
  const value = (depth = 0): string =>
    pick([
      () => String(Math.floor(r() * 1000)),
      () => (r() * 100).toFixed(2),
      () =>
        pick([
          'true',
          'false',
          'null',
          '-0',
          '1e5',
          '2.5E-3',
          '"x"',
          '"a\\"b"',
          '"\\u00e9"',
          '""',
        ]),
      () => (depth < 2 ? `[${value(depth + 1)},${value(depth + 1)}]` : '[]'),
      () => (depth < 2 ? `{"k":${value(depth + 1)}}` : '{}'),
    ])();
  const trade = () => {
    const fields: string[] = [];
    if (r() < 0.97) fields.push(`"ev":${r() < 0.95 ? '"T"' : value()}`);
    if (r() < 0.97)
      fields.push(
        `"sym":${r() < 0.93 ? `"${pick(['AAPL', 'BRK.A', 'BF-B', 'X', 'spy', 'A B', 'ZZZZ'])}"` : value()}`,
      );
    if (r() < 0.97)
      fields.push(
        `"t":${r() < 0.9 ? String(1752586200000 + Math.floor(r() * 1000)) : pick([value(), '1752586200412000', '1752586200412000000', '1.7e12', '-5'])}`,
      );
    if (r() < 0.9)
      fields.push(`"p":${r() < 0.95 ? (r() * 500).toFixed(2) : value()}`);
    if (r() < 0.9)
      fields.push(
        `"s":${r() < 0.95 ? String(Math.floor(r() * 500)) : value()}`,
      );
    if (r() < 0.9)
      fields.push(
        `"x":${r() < 0.95 ? String(pick([4, 10, 11, 12])) : value()}`,
      );
    if (r() < 0.8) fields.push(`"i":"${Math.floor(r() * 1e6)}"`);
    if (r() < 0.5) {
      const cs = [37, 14, 41, 12, 2, 60, 0, 99, 1023, 4000];
      const c =
        r() < 0.9
          ? `[${Array.from({ length: Math.floor(r() * 3) }, () => String(pick(cs))).join(`,${ws()}`)}]`
          : pick([
              '[1.5]',
              '[-1]',
              '["37"]',
              '37',
              'null',
              '[01]',
              '[1.0]',
              '[[1]]',
            ]);
      fields.push(`"c":${c}`);
    }
    if (r() < 0.3) fields.push(`"trfi":202,"trft":1752586200400`);
    if (r() < 0.05) fields.push(`"extra":${value()}`);
    // shuffle
    for (let k = fields.length - 1; k > 0; k--) {
      const j = Math.floor(r() * (k + 1));
      [fields[k], fields[j]] = [fields[j]!, fields[k]!];
    }
    return `{${ws()}${fields.map(f => f.replace(':', `${ws()}:${ws()}`)).join(`,${ws()}`)}${ws()}}`;
  };
  const element = () =>
    pick([
      trade,
      trade,
      trade,
      trade,
      trade,
      trade,
      () =>
        `{"ev":"status","status":"${pick(['success', 'max_connections', 'weird'])}","message":"m"}`,
      () => `{"ev":"status","status":${value()}}`,
      () => `{"ev":"Q","sym":"A","bp":1.5,"nested":${value()}}`,
      () => value(),
    ])();
  let frame = `${ws()}[${ws()}${Array.from({ length: Math.floor(r() * 8) }, element).join(`${ws()},${ws()}`)}${ws()}]${ws()}`;
  if (r() < 0.1) {
    // corrupt the frame: truncate, delete or insert a character
    const at = Math.floor(r() * frame.length);
    frame = pick([
      () => frame.slice(0, at),
      () => frame.slice(0, at) + frame.slice(at + 1),
      () =>
        frame.slice(0, at) +
        pick(['"', ',', '}', ']', '{', 'x', '\u0001']) +
        frame.slice(at),
    ])();
  }
  if (r() < 0.02) frame = trade();
  return frame;
}

describe('fast path equivalence', () => {
  it('gives exactly the JSON.parse result on 20,000 random frames', () => {
    const r = seededRandom(12345);
    let fastCount = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = randomFrame(r);
      const { fast, slow } = both(text);
      if (fast) {
        fastCount++;
        // Cheap check first; toEqual only to report a difference well.
        if (JSON.stringify(fast) !== JSON.stringify(slow))
          expect({ text, fast }).toEqual({ text, fast: slow });
      }
    }
    // Most generated frames are well formed Polygon frames: the fast path must take them.
    expect(fastCount).toBeGreaterThan(8_000);
  });

  it('takes the fast path for well-formed Polygon trade frames', () => {
    const p = new FrameParser();
    p.parse(`[${T1},${T2},${T3}]`);
    p.parse(`[${ST}]`);
    p.parse('[]');
    expect(p.fastFrames).toBe(3);
    expect(p.slowFrames).toBe(0);
  });

  describe('bounds', () => {
    it('refuses a pathological nested frame without JSON.parse', () => {
      const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
      const parse = jest.spyOn(JSON, 'parse');
      try {
        const p = new FrameParser();
        p.parse(deep);
        expect(parse).not.toHaveBeenCalled();
        expect(p.toParsedFrame().invalid).toEqual({ frame_too_deep: 1 });
        expect(p.slowFrames).toBe(0);
      } finally {
        parse.mockRestore();
      }
    });

    it('refuses a frame past maxBytes unread and takes the next one', () => {
      const p = new FrameParser({
        maxBytes: 200,
        maxDepth: 64,
        maxValues: 1000,
      });
      p.parse(`[${T1},${T1},${T1}]`);
      expect(p.toParsedFrame().invalid).toEqual({ frame_too_large: 1 });
      expect(p.count).toBe(0);
      p.parse(`[${T1}]`);
      expect(p.toParsedFrame().trades).toHaveLength(1);
    });

    it('sends a frame the scanner gives up on to JSON.parse only within maxValues', () => {
      // An escape makes the scanner give up; 300 000 values behind it would
      // cost JSON.parse one heap object each.
      const frame = `[{"ev":"T","sym":"A\\u0042","t":1752586200412,"y":[${Array(300_000).fill('[]').join(',')}]}]`;
      const parse = jest.spyOn(JSON, 'parse');
      try {
        const p = new FrameParser();
        p.parse(frame);
        expect(parse).not.toHaveBeenCalled();
        expect(p.toParsedFrame().invalid).toEqual({ frame_too_many_values: 1 });
      } finally {
        parse.mockRestore();
      }
    });

    it('refuses a frame past the default 4 MiB', () => {
      const big = Buffer.from(`[${Array(50_000).fill(T1).join(',')}]`);
      expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
      const p = new FrameParser();
      p.parse(big);
      expect(p.toParsedFrame().invalid).toEqual({ frame_too_large: 1 });
    });

    it('still parses an unusual frame within the bounds through JSON.parse', () => {
      const p = new FrameParser();
      p.parse(`[{"ev":"T","sym":"A\\u0042","t":1752586200412}]`);
      expect(p.slowFrames).toBe(1);
      expect(p.toParsedFrame().trades).toEqual([
        { sym: 'AB', t: 1752586200412, c: undefined },
      ]);
    });

    it('lets go of the buffers of an outsized frame once trimmed', () => {
      const p = new FrameParser();
      p.parse(`[${Array(20_000).fill(T1).join(',')}]`);
      expect(p.count).toBe(20_000);
      p.trim();
      expect(p.syms.length).toBe(0);
      expect(p.times.length).toBe(0);
      expect(p.condFrom.length).toBe(0);
      expect(p.condIds.length).toBe(0);
      p.parse(`[${T1},${T3}]`);
      p.trim(); // small frames keep their buffers
      expect(p.syms.length).toBe(2);
    });
  });
});
