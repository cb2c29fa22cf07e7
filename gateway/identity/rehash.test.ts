/**
 * scrypt cost (issue 10 item 10): new hashes at identity.scrypt (default N=2^17, r=8, p=1, OWASP), a weaker stored
 * hash replaced at the user's next good logon against a real gateway over mutual TLS, never at a wrong one.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import { loggedIn, startTestGateway, type TestGateway } from '../session/test-gateway.ts';
import { DEFAULT_SCRYPT, hashPassword, needsRehash, verifyPassword } from './directory.ts';

describe('scrypt cost', () => {
  it('hashes at N=2^17, r=8, p=1 by default, and at the cost asked for', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 131072, r: 8, p: 1 });
    const strong = await hashPassword('correct horse');
    expect(strong).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(strong, 'correct horse')).toBe(true);
    expect(await hashPassword('pw', { N: 2048, r: 4, p: 2 })).toMatch(/^scrypt\$2048\$4\$2\$/);
  });

  it('needsRehash when any parameter is below the cost; never for garbage', async () => {
    const h = await hashPassword('pw', { N: 1024 });
    expect(needsRehash(h, DEFAULT_SCRYPT)).toBe(true);
    expect(needsRehash(h, { N: 1024, r: 8, p: 1 })).toBe(false);
    expect(needsRehash(h, { N: 1024, r: 16, p: 1 })).toBe(true);
    expect(needsRehash(h, { N: 1024, r: 8, p: 2 })).toBe(true);
    expect(needsRehash(h, { N: 512, r: 8, p: 1 })).toBe(false);
    for (const bad of ['', 'scrypt$3$8$1$AAAA$AAAA', 'x'.repeat(10_000), 'scrypt$1048576000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==']) {
      expect(needsRehash(bad, DEFAULT_SCRYPT)).toBe(false);
    }
  });

  it('the gateway config takes identity.scrypt, N=2^17 by default, a power of two only', () => {
    expect(parseConfig({}, '/tmp/gw.json').identity.scrypt).toEqual({ N: 131072, r: 8, p: 1 });
    expect(parseConfig({ identity: { scrypt: { N: 4096 } } }, '/tmp/gw.json').identity.scrypt).toEqual({ N: 4096, r: 8, p: 1 });
    expect(() => parseConfig({ identity: { scrypt: { N: 3000 } } }, '/tmp/gw.json')).toThrow(/power of two/);
  });
});

describe('rehash on logon, over a real gateway', () => {
  let t: TestGateway;
  beforeAll(async () => { t = await startTestGateway({ identity: { scrypt: { N: 2048 } } }, { memoryStores: true, users: ['alice'] }); });
  afterAll(async () => { await t?.close(); });

  const stored = (): string => (JSON.parse(readFileSync(t.gw.cfg.paths.users, 'utf8')) as { users: { username: string; passwordHash: string }[] })
    .users.find((u) => u.username === 'alice')!.passwordHash;

  it('a wrong password leaves the weak hash; the right one replaces it with one at the configured cost', async () => {
    const before = stored();
    expect(before).toMatch(/^scrypt\$1024\$/);
    const wrong = await t.connect('alice', { password: 'not-it' });
    await wrong.closed();
    expect(stored()).toBe(before);

    const c = await loggedIn(t, 'alice');
    let after = stored();
    for (let i = 0; i < 200 && after === before; i++) { await new Promise((r) => setTimeout(r, 50)); after = stored(); }
    expect(after).toMatch(/^scrypt\$2048\$8\$1\$/);
    expect(await verifyPassword(after, t.users.alice!.password)).toBe(true);
    expect(t.gw.users.get('alice')!.passwordHash).toBe(after);
    await c.close();
    // and the user logs on with the new hash
    const again = await loggedIn(t, 'alice');
    await again.close();
    expect(stored()).toBe(after);
  });
});
