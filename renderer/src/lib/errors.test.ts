import { describe, expect, it } from 'vitest';
import { explainError } from './errors.ts';

describe('explainError', () => {
  it('uses the code of a ParleyError and says what to do', () => {
    const e = Object.assign(new Error('The session is not connected.'), { code: 'not-connected' });
    expect(explainError(e)).toMatchObject({ code: 'not-connected', message: 'The session is not connected.', action: expect.stringMatching(/reconnect/) });
  });

  it('recovers the code from an error that crossed the context bridge as text', () => {
    const e = new Error("Error invoking remote method 'parley:call': Error: denied: device posture: disk encryption is off");
    expect(explainError(e)).toMatchObject({ code: 'denied', message: 'device posture: disk encryption is off' });
  });

  it.each([undefined, null, 42, '', {}, [], { message: 7 }, { code: 'made-up', message: 'x' }])('copes with %j', (garbage) => {
    const r = explainError(garbage);
    expect(r.code).toBe('internal');
    expect(r.action.length).toBeGreaterThan(10);
    expect(typeof r.message).toBe('string');
  });

  it('clips an oversized message', () => {
    expect(explainError(new Error('x'.repeat(100_000))).message.length).toBeLessThanOrEqual(501);
  });
});
