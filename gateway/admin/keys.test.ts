import { describe, expect, it } from 'vitest';
import { UserDirectory, type User } from '../identity/directory.ts';
import { KeyAdminError, listKeys, parseRemoveArgs, removeKeys } from './keys.ts';

function dir(): UserDirectory {
  const d = UserDirectory.empty('/nonexistent/users.json');
  const base: Omit<User, 'username' | 'compIds' | 'webauthnCredentials'> = { role: 'Trader', privileged: false, passwordHash: 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    expectedCountries: [], certSubjects: [] };
  d.upsert({ ...base, username: 'alice', compIds: ['ALICE'], webauthnCredentials: [
    { id: 'key-one', publicKey: 'pk1', counter: 7, transports: ['usb'], createdAt: '2026-11-21T09:30:00.000Z', lastUsedAt: '2026-11-21T10:00:00.000Z' },
    { id: 'key-two', publicKey: 'pk2', counter: 0 },
  ] });
  d.upsert({ ...base, username: 'bob', compIds: ['BOB'], webauthnCredentials: [] });
  return d;
}

describe('security keys for IT', () => {
  it('lists id, registration time, counter, transports and last use; nulls where not stored; never the public key', () => {
    const rows = listKeys(dir(), 'alice');
    expect(rows).toEqual([
      { id: 'key-one', createdAt: '2026-11-21T09:30:00.000Z', counter: 7, transports: ['usb'], lastUsedAt: '2026-11-21T10:00:00.000Z' },
      { id: 'key-two', createdAt: null, counter: 0, transports: [], lastUsedAt: null },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/pk1/);
    expect(listKeys(dir(), 'bob')).toEqual([]);
    expect(() => listKeys(dir(), 'nobody')).toThrow(/no user nobody/);
    expect(() => listKeys(dir(), '../etc')).toThrow(KeyAdminError);
  });

  it('removes one key by id or all of them through upsert (a new user object: readers of the directory see it at once)', () => {
    const d = dir();
    const before = d.get('alice')!;
    expect(removeKeys(d, { username: 'alice', id: 'key-one' })).toEqual({ username: 'alice', removed: ['key-one'], left: 1 });
    expect(d.get('alice')!.webauthnCredentials.map((c) => c.id)).toEqual(['key-two']);
    expect(d.get('alice')).not.toBe(before);
    expect(() => removeKeys(d, { username: 'alice', id: 'key-one' })).toThrow(/alice has no security key key-one/);
    expect(removeKeys(d, { username: 'alice', all: true })).toEqual({ username: 'alice', removed: ['key-two'], left: 0 });
    expect(removeKeys(d, { username: 'alice', all: true })).toEqual({ username: 'alice', removed: [], left: 0 });
    expect(() => removeKeys(d, { username: 'bob', id: 'key-two' })).toThrow(/no keys registered/);
    expect(() => removeKeys(d, { username: 'nobody', all: true })).toThrow(/no user nobody/);
  });

  it('refuses garbage arguments from the admin channel', () => {
    expect(parseRemoveArgs({ user: 'alice', id: 'key-one' })).toEqual({ username: 'alice', id: 'key-one' });
    expect(parseRemoveArgs({ user: 'alice', all: true })).toEqual({ username: 'alice', all: true });
    for (const bad of [{}, { user: 7, all: true }, { user: 'alice' }, { user: 'alice', id: 'a b' }, { user: 'alice', id: 'x'.repeat(2000) },
      { user: 'alice', id: 'k', all: true }, { user: 'alice', all: 'yes' }, { user: 'alice', id: ['k'] }, { user: 'alice', id: '' }]) {
      expect(() => parseRemoveArgs(bad as Record<string, unknown>)).toThrow(KeyAdminError);
    }
  });
});
