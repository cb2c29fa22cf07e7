import { describe, expect, it } from 'vitest';
import {
  calls,
  callNames,
  createParleyApi,
  eventNames,
  noArgCalls,
  ParleyError,
  validateEvent,
  validateRequest,
  type CallEnvelope,
  type EventEnvelope,
} from './contract.ts';

const rfq = {
  clientRfqId: 'r-1',
  instrument: 'XS0000001',
  side: 'buy',
  quantity: 5_000_000,
  settlementDate: '2026-11-24',
  dealers: 'all',
  expirySeconds: 60,
};

describe('IPC contract schemas', () => {
  it('accepts a well-formed createRfq and refuses hostile variants', () => {
    expect(validateRequest('createRfq', rfq).ok).toBe(true);
    for (const bad of [
      { ...rfq, quantity: -1 },
      { ...rfq, quantity: Number.NaN },
      { ...rfq, quantity: '5' },
      { ...rfq, clientRfqId: 'a\u0001b' },
      { ...rfq, clientRfqId: 'x'.repeat(65) },
      { ...rfq, settlementDate: '24/11/2026' },
      { ...rfq, dealers: [] },
      { ...rfq, extra: 1 },
      { ...rfq, __proto__: { polluted: true }, side: 'short' },
      null,
      'garbage',
      [],
    ]) {
      const v = validateRequest('createRfq', bad);
      expect(v.ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('step-up answers are a discriminated union', () => {
    expect(validateRequest('answerStepUp', { challengeId: 'c1', method: 'totp', code: '123456' }).ok).toBe(true);
    expect(validateRequest('answerStepUp', { challengeId: 'c1', method: 'totp', code: '12ab56' }).ok).toBe(false);
    expect(validateRequest('answerStepUp', { challengeId: 'c1', method: 'webauthn', code: '123456' }).ok).toBe(false);
    const credential = {
      id: 'abc',
      rawId: 'abc',
      type: 'public-key',
      response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
      clientExtensionResults: {},
    };
    expect(validateRequest('answerStepUp', { challengeId: 'c1', method: 'webauthn', credential }).ok).toBe(true);
  });

  it('validates events', () => {
    expect(validateEvent('connection', { state: 'reconnecting', retryInSec: 4, at: new Date().toISOString() }).ok).toBe(true);
    expect(validateEvent('connection', { state: 'hacked', at: new Date().toISOString() }).ok).toBe(false);
  });

  it('lists every call with both schemas, and the no-arg calls', () => {
    for (const n of callNames) {
      expect(calls[n].request).toBeDefined();
      expect(calls[n].response).toBeDefined();
    }
    expect(noArgCalls.has('getState')).toBe(true);
    expect(noArgCalls.has('createRfq')).toBe(false);
    expect(eventNames).toContain('stepUpChallenge');
  });
});

describe('createParleyApi', () => {
  function harness(reply: (e: CallEnvelope) => unknown) {
    let push: (e: EventEnvelope) => void = () => {};
    const sent: CallEnvelope[] = [];
    const api = createParleyApi({
      invoke: async (e) => {
        sent.push(e);
        return reply(e);
      },
      subscribe: (h) => {
        push = h;
      },
    });
    return { api, sent, push: (e: EventEnvelope) => push(e) };
  }

  it('refuses an invalid request before sending it', async () => {
    const h = harness(() => ({ ok: true, value: {} }));
    await expect(h.api.createRfq({ ...rfq, quantity: 0 } as never)).rejects.toBeInstanceOf(ParleyError);
    expect(h.sent).toHaveLength(0);
  });

  it('refuses a response that breaks the contract and passes errors through with their code', async () => {
    const bad = harness(() => ({ ok: true, value: { nope: 1 } }));
    await expect(bad.api.getSecurity()).rejects.toMatchObject({ code: 'invalid-response' });
    const err = harness(() => ({ ok: false, error: { code: 'not-connected', message: 'offline' } }));
    await expect(err.api.listDealers()).rejects.toMatchObject({ code: 'not-connected', message: 'offline' });
  });

  it('delivers valid events and drops invalid ones', () => {
    const h = harness(() => ({ ok: true, value: { ok: true } }));
    const got: unknown[] = [];
    const off = h.api.on('connection', (p) => got.push(p.state));
    h.push({ event: 'connection', payload: { state: 'connected', at: new Date().toISOString() } });
    h.push({ event: 'connection', payload: { state: 'nonsense' } });
    h.push({ event: 'bogus', payload: {} });
    off();
    h.push({ event: 'connection', payload: { state: 'offline', at: new Date().toISOString() } });
    expect(got).toEqual(['connected']);
  });
});
