import {
  gapStart,
  healWindow,
  newestOf,
  parseWatermark,
  reportLevel,
  watermarkToWrite,
} from './gap-window';

describe('heal window', () => {
  it('heals a gap within maxGapMs from its start', () => {
    expect(healWindow(1000, 4000, 5000, 10_000)).toEqual({
      fromMs: 1000,
      gapMs: 3000,
      truncated: false,
    });
  });

  it('cuts a longer gap to its last maxGapMs, and reports its full length', () => {
    expect(healWindow(1000, 40_000, 50_000, 10_000)).toEqual({
      fromMs: 40_000,
      gapMs: 39_000,
      truncated: true,
    });
  });

  it('never reports a negative gap length', () => {
    expect(healWindow(5000, 4000, 5000, 10_000).gapMs).toBe(0);
  });
});

describe('gap start', () => {
  it('takes the newer of the process read and the stored watermark', () => {
    expect(gapStart(3000, 2000, 9000, undefined)).toEqual({
      from: 3000,
      reason: 'resubscribe',
    });
    expect(gapStart(3000, 4000, 9000, undefined)?.from).toBe(4000);
  });

  it('is a startup gap when this process read nothing yet', () => {
    expect(gapStart(-1, 4000, 9000, undefined)).toEqual({
      from: 4000,
      reason: 'startup',
    });
  });

  it('never starts after the gap end nor after a held start', () => {
    expect(gapStart(12_000, undefined, 9000, undefined)?.from).toBe(9000);
    expect(gapStart(3000, 4000, 9000, 2500)?.from).toBe(2500);
  });

  it('has nothing to heal from without any read or watermark', () => {
    expect(gapStart(-1, undefined, 9000, undefined)).toBeUndefined();
  });
});

describe('watermark', () => {
  it('parses only positive safe integers', () => {
    expect(parseWatermark('1752586200000')).toBe(1_752_586_200_000);
    expect(parseWatermark(null)).toBeUndefined();
    expect(parseWatermark('0')).toBeUndefined();
    expect(parseWatermark('-5')).toBeUndefined();
    expect(parseWatermark('12.5')).toBeUndefined();
    expect(parseWatermark('abc')).toBeUndefined();
    expect(parseWatermark('1e300')).toBeUndefined();
  });

  it('finds the newest time of a batch', () => {
    expect(
      newestOf(
        new Map([
          ['A', 5],
          ['B', 9],
          ['C', 7],
        ]),
      ),
    ).toBe(9);
    expect(newestOf(new Map())).toBe(-1);
  });

  const base = {
    newest: 5000,
    now: 9000,
    hold: undefined,
    written: 1000,
    busy: false,
  };

  it('writes the batch newest, capped by the clock and a held start', () => {
    expect(watermarkToWrite(base)).toBe(5000);
    expect(watermarkToWrite({ ...base, now: 4000 })).toBe(4000);
    expect(watermarkToWrite({ ...base, hold: 3000 })).toBe(3000);
  });

  it('writes nothing that is not ahead of what was written, or while busy', () => {
    expect(watermarkToWrite({ ...base, written: 5000 })).toBeUndefined();
    expect(watermarkToWrite({ ...base, hold: 500 })).toBeUndefined();
    expect(watermarkToWrite({ ...base, busy: true })).toBeUndefined();
  });
});

describe('report level', () => {
  it('is info for healed and aborted gaps, warn otherwise', () => {
    expect(reportLevel('healed')).toBe('info');
    expect(reportLevel('aborted')).toBe('info');
    expect(reportLevel('partial')).toBe('warn');
    expect(reportLevel('failed')).toBe('warn');
    expect(reportLevel('unauthorized')).toBe('warn');
  });
});
