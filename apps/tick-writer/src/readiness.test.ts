import { workerCheck } from './readiness';

describe('workerCheck', () => {
  it('is ready only while the worker consumes', () => {
    expect(workerCheck(true)).toEqual({ ok: true, detail: 'consuming' });
    expect(workerCheck(false)).toEqual({ ok: false, detail: 'not consuming' });
  });
});
