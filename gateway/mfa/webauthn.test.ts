import { describe, expect, it } from 'vitest';
import type { User } from '../identity/directory.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { WebAuthnService } from './webauthn.ts';

const ORIGIN = 'https://localhost';
const svc = new WebAuthnService({ rpID: 'localhost', origin: ORIGIN });

function newUser(): User {
  return { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [],
    expectedCountries: ['GB'], certSubjects: [], compIds: [] };
}

async function enrolled(): Promise<{ user: User; key: SoftAuthenticator }> {
  const user = newUser();
  const key = new SoftAuthenticator({ origin: ORIGIN });
  const opts = await svc.registrationOptions(user);
  const reg = await svc.verifyRegistration(user, key.register(opts), opts.challenge);
  if (!reg.ok) throw new Error(reg.reason);
  user.webauthnCredentials.push(reg.credential);
  return { user, key };
}

describe('WebAuthn with a software P-256 authenticator', () => {
  it('registers a key and then authenticates with a real signature', async () => {
    const { user, key } = await enrolled();
    expect(user.webauthnCredentials[0]).toMatchObject({ id: key.credentialId, counter: 0, transports: ['usb'] });
    const opts = svc.authenticationOptions(user);
    expect(opts.allowCredentials?.[0]?.id).toBe(key.credentialId);
    expect(user.webauthnCredentials[0]?.lastUsedAt).toBeUndefined();
    const r = await svc.verifyAuthentication(user, key.authenticate(opts), opts.challenge);
    expect(r).toEqual({ ok: true, credentialId: key.credentialId, newCounter: 1 });
    expect(user.webauthnCredentials[0]?.counter).toBe(1);
    expect(Date.parse(user.webauthnCredentials[0]?.lastUsedAt ?? '')).not.toBeNaN();
    const opts2 = svc.authenticationOptions(user);
    expect(opts2.challenge).not.toBe(opts.challenge);
    expect(await svc.verifyAuthentication(user, key.authenticate(opts2), opts2.challenge)).toMatchObject({ ok: true, newCounter: 2 });
  });

  it('refuses an assertion for another challenge (replay of an old response)', async () => {
    const { user, key } = await enrolled();
    const opts = svc.authenticationOptions(user);
    const resp = key.authenticate(opts);
    expect((await svc.verifyAuthentication(user, resp, opts.challenge)).ok).toBe(true);
    const fresh = svc.authenticationOptions(user);
    const replay = await svc.verifyAuthentication(user, resp, fresh.challenge);
    expect(replay.ok).toBe(false);
  });

  it('refuses a wrong origin, a wrong RP id, a non-increasing counter and a tampered signature', async () => {
    const { user, key } = await enrolled();
    let o = svc.authenticationOptions(user);
    expect(await svc.verifyAuthentication(user, key.authenticate(o, { origin: 'https://evil.example' }), o.challenge)).toMatchObject({ ok: false, reason: expect.stringMatching(/origin/i) });
    o = svc.authenticationOptions(user);
    expect(await svc.verifyAuthentication(user, key.authenticate(o, { rpId: 'evil.example' }), o.challenge)).toMatchObject({ ok: false, reason: expect.stringMatching(/RP ID/i) });
    o = svc.authenticationOptions(user);
    expect((await svc.verifyAuthentication(user, key.authenticate(o, { counter: 5 }), o.challenge)).ok).toBe(true);
    o = svc.authenticationOptions(user);
    expect(await svc.verifyAuthentication(user, key.authenticate(o, { counter: 5 }), o.challenge)).toMatchObject({ ok: false, reason: expect.stringMatching(/counter/i) });
    o = svc.authenticationOptions(user);
    const r = key.authenticate(o);
    const sig = Buffer.from(r.response.signature, 'base64url');
    sig[sig.length - 1]! ^= 0x01;
    r.response.signature = sig.toString('base64url');
    expect((await svc.verifyAuthentication(user, r, o.challenge)).ok).toBe(false);
    o = svc.authenticationOptions(user);
    expect(await svc.verifyAuthentication(user, key.authenticate(o, { type: 'webauthn.create' }), o.challenge)).toMatchObject({ ok: false });
  });

  it('refuses a key that is not registered to the user', async () => {
    const { user } = await enrolled();
    const stranger = new SoftAuthenticator({ origin: ORIGIN });
    const o = svc.authenticationOptions(user);
    expect(await svc.verifyAuthentication(user, stranger.authenticate(o), o.challenge)).toEqual({ ok: false, reason: 'unknown security key for this user' });
  });

  it('refuses garbage responses without throwing', async () => {
    const { user, key } = await enrolled();
    const o = svc.authenticationOptions(user);
    const good = key.authenticate(o);
    const garbage: unknown[] = [null, 42, 'x', [], {}, { ...good, type: 'password' }, { ...good, id: '!!' },
      { ...good, response: { ...good.response, signature: 'x'.repeat(20_000) } },
      { ...good, response: { ...good.response, clientDataJSON: Buffer.from('not json').toString('base64url') } },
      { ...good, response: { ...good.response, authenticatorData: 'AAAA' } },
      { ...good, response: null }];
    for (const g of garbage) {
      const r = await svc.verifyAuthentication(user, g, o.challenge);
      expect(r.ok).toBe(false);
    }
    expect((await svc.verifyAuthentication(user, good, o.challenge)).ok).toBe(true);
  });

  it('refuses a duplicate or malformed registration', async () => {
    const { user, key } = await enrolled();
    const opts = await svc.registrationOptions(user);
    expect(opts.excludeCredentials?.[0]?.id).toBe(key.credentialId);
    expect(await svc.verifyRegistration(user, key.register(opts), opts.challenge)).toEqual({ ok: false, reason: 'credential already registered' });
    expect(await svc.verifyRegistration(user, { type: 'public-key' }, opts.challenge)).toMatchObject({ ok: false, reason: /malformed/ });
    const other = new SoftAuthenticator({ origin: ORIGIN });
    expect(await svc.verifyRegistration(user, other.register(opts), 'wrong-challenge')).toMatchObject({ ok: false });
  });
});
