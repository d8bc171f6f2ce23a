import { judgeAnswer } from './rest-answer';

const MAX = 10_000;
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('REST answer', () => {
  it('takes a 200 whose body is a JSON object', () => {
    expect(judgeAnswer(200, bytes('{"status":"OK","n":1}'), MAX)).toEqual({
      kind: 'ok',
      label: '200',
      body: { status: 'OK', n: 1 },
    });
  });

  it('retries a 200 whose body is not a JSON object', () => {
    for (const body of ['not json', '[1,2]', 'null', '"text"', ''])
      expect(judgeAnswer(200, bytes(body), MAX)).toEqual({
        kind: 'retry',
        label: 'malformed',
      });
  });

  it('refuses a 200 body past its bounds without parsing it', () => {
    expect(judgeAnswer(200, null, MAX)).toEqual({
      kind: 'refuse',
      label: 'too_large',
    });
    expect(judgeAnswer(200, bytes('['.repeat(65)), MAX)).toEqual({
      kind: 'refuse',
      label: 'too_deep',
    });
  });

  it('stops at once on 401 and 403', () => {
    expect(judgeAnswer(401, null, MAX)).toEqual({
      kind: 'auth',
      label: '401',
      status: 401,
    });
    expect(judgeAnswer(403, bytes('{}'), MAX)).toMatchObject({
      kind: 'auth',
      status: 403,
    });
  });

  it('retries 429 and 5xx, refuses other statuses, whatever their body', () => {
    expect(judgeAnswer(429, null, MAX)).toEqual({
      kind: 'retry',
      label: '429',
    });
    expect(judgeAnswer(503, bytes('{}'), MAX)).toEqual({
      kind: 'retry',
      label: '503',
    });
    expect(judgeAnswer(404, bytes('{}'), MAX)).toEqual({
      kind: 'refuse',
      label: '404',
    });
    expect(judgeAnswer(302, null, MAX)).toEqual({
      kind: 'refuse',
      label: '302',
    });
  });
});
