import { describe, expect, it } from 'vitest';
import type { User } from '../identity/directory.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { KeyRegistrations, MAX_REGISTRATION_RESPONSE } from './registration.ts';
import { WebAuthnService } from './webauthn.ts';

const ORIGIN = 'https://localhost';

function setup(o: { save?: () => Promise<void>; now?: () => number; maxCredentials?: number } = {}) {
  const user: User = { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [],
    expectedCountries: ['GB'], certSubjects: [], compIds: [] };
  let saves = 0;
  const webauthn = new WebAuthnService({ rpID: 'localhost', origin: ORIGIN });
  const keys = new KeyRegistrations({
    webauthn, getUser: (u) => (u === 'alice' ? user : undefined), save: o.save ?? (async () => { saves++; }),
    ...(o.now ? { now: o.now } : {}), ...(o.maxCredentials ? { maxCredentials: o.maxCredentials } : {}),
  });
  return { user, keys, webauthn, saves: () => saves };
}

async function begin(keys: KeyRegistrations, session = 'S1', req = 'R1') {
  const b = await keys.begin(session, req, 'alice');
  if (!b.ok) throw new Error(b.reason);
  return JSON.parse(b.options) as { challenge: string; rp: { id: string }; excludeCredentials?: { id: string }[] };
}

describe('security-key registration ceremonies', () => {
  it('registers a key, persists it, and the key then authenticates', async () => {
    const { user, keys, webauthn, saves } = setup();
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const opts = await begin(keys);
    expect(opts.rp.id).toBe('localhost');
    const r = await keys.finish('S1', 'R1', JSON.stringify(key.register(opts)));
    expect(r).toEqual({ ok: true, credentialId: key.credentialId });
    expect(user.webauthnCredentials).toHaveLength(1);
    // The registration time is stored for IT's `users keys list`.
    expect(Date.parse(user.webauthnCredentials[0]!.createdAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(saves()).toBe(1);
    expect(keys.pending).toBe(0);
    const a = webauthn.authenticationOptions(user);
    expect(await webauthn.verifyAuthentication(user, key.authenticate(a), a.challenge)).toMatchObject({ ok: true });
    // The next ceremony excludes the key already registered, and the same key is refused again.
    const again = await begin(keys, 'S1', 'R2');
    expect(again.excludeCredentials?.map((c) => c.id)).toEqual([key.credentialId]);
    expect(await keys.finish('S1', 'R2', JSON.stringify(key.register(again)))).toMatchObject({ ok: false, reason: 'credential already registered' });
  });

  it('refuses a replayed response, a response for another session or request, and one for an expired ceremony', async () => {
    let now = 1_000_000;
    const { user, keys } = setup({ now: () => now });
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const opts = await begin(keys);
    const resp = JSON.stringify(key.register(opts));
    expect(await keys.finish('S2', 'R1', resp)).toMatchObject({ ok: false, reason: expect.stringMatching(/no security-key registration pending/) });
    expect(await keys.finish('S1', 'R9', resp)).toMatchObject({ ok: false });
    expect(await keys.finish('S1', 'R1', resp)).toMatchObject({ ok: true });
    expect(await keys.finish('S1', 'R1', resp)).toMatchObject({ ok: false, reason: expect.stringMatching(/no security-key registration pending/) });
    // A response to an earlier session's options does not verify against a newer ceremony's challenge.
    const other = new SoftAuthenticator({ origin: ORIGIN });
    const old = await begin(keys, 'S3', 'R1');
    await begin(keys, 'S3', 'R2');
    expect(await keys.finish('S3', 'R2', JSON.stringify(other.register(old)))).toMatchObject({ ok: false, reason: expect.stringMatching(/challenge/i) });
    const late = await begin(keys, 'S4', 'R1');
    now += 121_000;
    expect(await keys.finish('S4', 'R1', JSON.stringify(other.register(late)))).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(user.webauthnCredentials).toHaveLength(1);
  });

  it('refuses garbage, truncated, oversized and wrong-origin responses without registering anything', async () => {
    const { user, keys } = setup();
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const cases: string[] = [];
    const good = JSON.stringify(key.register(await begin(keys, 'S', 'G0')));
    keys.cancelSession('S');
    cases.push('not json', '{}', 'null', '[]', good.slice(0, good.length / 2), `{"x":"${'A'.repeat(MAX_REGISTRATION_RESPONSE)}"}`,
      JSON.stringify({ id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: '!!', attestationObject: 'x' } }));
    for (const [i, c] of cases.entries()) {
      await begin(keys, 'S', `G${i}`);
      const r = await keys.finish('S', `G${i}`, c);
      expect(r.ok, c.slice(0, 40)).toBe(false);
    }
    const phish = new SoftAuthenticator({ origin: 'https://evil.example' });
    const opts = await begin(keys, 'S', 'P');
    expect(await keys.finish('S', 'P', JSON.stringify(phish.register(opts)))).toMatchObject({ ok: false, reason: expect.stringMatching(/origin/i) });
    const wrongRp = await begin(keys, 'S', 'W');
    expect(await keys.finish('S', 'W', JSON.stringify(key.register(wrongRp, 'evil.example')))).toMatchObject({ ok: false });
    expect(user.webauthnCredentials).toHaveLength(0);
  });

  it('a key that cannot be saved is not registered; the credential limit and unknown users are refused', async () => {
    const { user, keys } = setup({ save: async () => { throw new Error('disk full'); }, maxCredentials: 1 });
    const key = new SoftAuthenticator({ origin: ORIGIN });
    expect(await keys.finish('S', 'R', JSON.stringify(key.register(await begin(keys, 'S', 'R'))))).toMatchObject({ ok: false, reason: expect.stringMatching(/disk full/) });
    expect(user.webauthnCredentials).toHaveLength(0);
    user.webauthnCredentials.push({ id: 'abc', publicKey: 'abc', counter: 0 });
    expect(await keys.begin('S', 'R2', 'alice')).toMatchObject({ ok: false, reason: expect.stringMatching(/limit/) });
    expect(await keys.begin('S', 'R3', 'mallory')).toMatchObject({ ok: false });
  });

  it('adds the key to the directory as it is after verifying: a user replaced meanwhile (IT removed a key) keeps the new key, a user removed meanwhile gets none', async () => {
    let current: User | undefined = { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [], expectedCountries: [], certSubjects: [], compIds: [] };
    // What happens to the directory right after finish() read the user (i.e. while the attestation is verified).
    let meanwhile: (() => void) | null = null;
    const webauthn = new WebAuthnService({ rpID: 'localhost', origin: ORIGIN });
    const keys = new KeyRegistrations({ webauthn, save: async () => {}, getUser: () => {
      const u = current;
      const m = meanwhile;
      meanwhile = null;
      m?.();
      return u;
    } });
    const ceremony = async (req: string) => {
      const b = await keys.begin('S1', req, 'alice');
      if (!b.ok) throw new Error(b.reason);
      return JSON.stringify(new SoftAuthenticator({ origin: ORIGIN }).register(JSON.parse(b.options) as { challenge: string; rp: { id: string } }));
    };
    const resp = await ceremony('R1');
    const stale = current!;
    meanwhile = () => { current = { ...stale, webauthnCredentials: [] }; };
    const r = await keys.finish('S1', 'R1', resp);
    expect(r).toMatchObject({ ok: true });
    expect(current!.webauthnCredentials.map((c) => c.id)).toEqual([(r as { credentialId: string }).credentialId]);
    expect(stale.webauthnCredentials).toHaveLength(0);
    const resp2 = await ceremony('R2');
    meanwhile = () => { current = undefined; };
    expect(await keys.finish('S1', 'R2', resp2)).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer exists/) });
  });
});
