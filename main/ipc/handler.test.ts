import { describe, expect, it } from 'vitest';
import { ParleyError, type EventEnvelope } from './contract.ts';
import { createCallHandler, EventHub, isAllowedSender, originOf, type Services } from './handler.ts';

const APP = 'app://parley';
const quiet = { warn: () => {}, error: () => {} };
const appFrame = { url: 'app://parley/index.html', topFrame: true };

function services(overrides: Partial<Services> = {}): Services {
  const notHere = async () => {
    throw new ParleyError('not-connected', 'offline');
  };
  const base = Object.fromEntries(
    ['getState', 'enroll', 'signIn', 'signOut', 'answerStepUp', 'cancelStepUp', 'listInstruments', 'listDealers', 'listRfqs',
      'createRfq', 'hitQuote', 'passQuote', 'cancelRfq', 'queryHistory', 'getSecurity', 'listOpenRfqs'].map((n) => [n, notHere]),
  ) as unknown as Services;
  return { ...base, ...overrides };
}

describe('sender-frame allow-list', () => {
  it('derives origins for custom schemes too', () => {
    expect(originOf('app://parley/index.html#/x')).toBe('app://parley');
    expect(originOf('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });
  it('refuses foreign, nested and malformed senders', () => {
    expect(isAllowedSender(appFrame, [APP])).toBe(true);
    for (const s of [
      { url: 'https://evil.example/', topFrame: true },
      { url: 'app://parley.evil/', topFrame: true },
      { url: 'app://parley/index.html', topFrame: false },
      { url: 'file:///app/index.html', topFrame: true },
      { url: 42, topFrame: true },
      null,
      'app://parley',
    ]) expect(isAllowedSender(s, [APP]), JSON.stringify(s)).toBe(false);
  });
});

describe('call handler', () => {
  const listDealers = async () => [{ id: 'D1', name: 'Dealer One' }];

  it('serves an allowed frame and refuses a foreign frame with a clear error', async () => {
    const handle = createCallHandler({ services: services({ listDealers }), allowedOrigins: [APP], log: quiet });
    expect(await handle(appFrame, { call: 'listDealers', request: {} })).toEqual({ ok: true, value: [{ id: 'D1', name: 'Dealer One' }] });
    const foreign = await handle({ url: 'https://evil.example/x', topFrame: true }, { call: 'listDealers', request: {} });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
  });

  it('refuses garbage and keeps serving', async () => {
    const handle = createCallHandler({ services: services({ listDealers }), allowedOrigins: [APP], log: quiet });
    const garbage: unknown[] = [
      undefined, null, 42, 'listDealers', [], {}, { call: 'nope', request: {} }, { call: '__proto__', request: {} },
      { call: 'toString', request: {} }, { call: 'listDealers', request: { extra: true } },
      { call: 'createRfq', request: { clientRfqId: 'x' } }, { call: 'x'.repeat(10_000), request: {} },
      { call: 'enroll', request: { token: 'a'.repeat(1_000_000) } },
    ];
    for (const g of garbage) {
      const r = await handle(appFrame, g);
      expect(r.ok, JSON.stringify(g)?.slice(0, 80)).toBe(false);
    }
    expect(await handle(appFrame, { call: 'listDealers', request: {} })).toMatchObject({ ok: true });
  });

  it('passes service errors through, hides internal ones, and refuses results outside the contract', async () => {
    const handle = createCallHandler({
      services: services({
        getSecurity: async () => { throw new Error('/secret/path exploded'); },
        listInstruments: async () => [{ symbol: 'bad symbol with spaces', description: '' }],
      }),
      allowedOrigins: [APP],
      log: quiet,
    });
    expect(await handle(appFrame, { call: 'listDealers', request: {} })).toEqual({ ok: false, error: { code: 'not-connected', message: 'offline' } });
    const internal = await handle(appFrame, { call: 'getSecurity', request: {} });
    expect(internal).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(internal)).not.toContain('/secret/path');
    expect(await handle(appFrame, { call: 'listInstruments', request: {} })).toMatchObject({ ok: false, error: { code: 'invalid-response' } });
  });
});

describe('EventHub', () => {
  it('sends only events that fit the contract', () => {
    const hub = new EventHub(quiet);
    const got: EventEnvelope[] = [];
    hub.subscribe((e) => got.push(e));
    expect(hub.emit('connection', { state: 'connected', at: new Date().toISOString() })).toBe(true);
    expect(hub.emit('connection', { state: 'pwned' } as never)).toBe(false);
    expect(hub.emit('nonsense' as never, {} as never)).toBe(false);
    expect(got.map((e) => e.event)).toEqual(['connection']);
  });
});
