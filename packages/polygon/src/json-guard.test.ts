import { jsonBoundProblem } from './json-guard';

const bounds = { maxBytes: 1000, maxDepth: 3, maxValues: 20 };

describe('jsonBoundProblem', () => {
  it('accepts a frame within both bounds, as text or bytes', () => {
    const text = '[{"ev":"T","c":[1,2]},{"ev":"status"}]';
    expect(jsonBoundProblem(text, bounds)).toBeNull();
    expect(jsonBoundProblem(Buffer.from(text), bounds)).toBeNull();
  });

  it('refuses by UTF-8 size, not by characters', () => {
    const text = `["${'é'.repeat(501)}"]`; // 505 characters, 1006 bytes
    expect(jsonBoundProblem(text, bounds)).toBe('too_large');
  });

  it('refuses nesting past the bound', () => {
    expect(jsonBoundProblem('[{"c":[[1]]}]', bounds)).toBe('too_deep');
    expect(jsonBoundProblem(Buffer.from('[[[[', 'utf8'), bounds)).toBe(
      'too_deep',
    );
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = '[{"m":"[[[[{{{{ \\" [[[[ \\\\"}]';
    expect(JSON.parse(text)).toEqual([{ m: '[[[[{{{{ " [[[[ \\' }]);
    expect(jsonBoundProblem(text, bounds)).toBeNull();
  });

  it('refuses more values than the bound, whatever their size', () => {
    expect(
      jsonBoundProblem(`[${Array(19).fill('[]').join(',')}]`, bounds),
    ).toBe('too_many_values');
    expect(
      jsonBoundProblem(`[${Array(10).fill('1').join(',')}]`, bounds),
    ).toBeNull();
    expect(jsonBoundProblem(`["${',,,'.repeat(100)}"]`, bounds)).toBeNull();
  });
});
