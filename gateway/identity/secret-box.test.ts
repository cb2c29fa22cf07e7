/** TOTP seeds sealed at rest (issue 10 item 9): never plain in users.json, bound to their user, refused when altered. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError, hashPassword, UserDirectory, type User } from './directory.ts';
import { SecretBox, SecretBoxError } from './secret-box.ts';

const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
let passwordHash = '';
beforeAll(async () => { passwordHash = await hashPassword('pw', { N: 1024 }); });
const user = (username: string, totpSecret?: string): User => ({
  username, role: 'Trader', privileged: false, passwordHash, webauthnCredentials: [],
  expectedCountries: ['GB'], certSubjects: [], compIds: [username.toUpperCase()], ...(totpSecret ? { totpSecret } : {}),
});

function dir() {
  const d = mkdtempSync(join(tmpdir(), 'secret-box-'));
  return { users: join(d, 'users.json'), key: join(d, 'users.json.key') };
}

describe('SecretBox', () => {
  it('creates its key 0600 once and reads the same key back', () => {
    const p = dir();
    const a = SecretBox.openOrCreate(p.key);
    expect(statSync(p.key).mode & 0o777).toBe(0o600);
    const b = SecretBox.openOrCreate(p.key);
    expect(b.open(a.seal(SEED, 'alice'), 'alice')).toBe(SEED);
  });

  it('refuses another user, another key, altered, truncated and garbage values', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 7));
    const sealed = box.seal(SEED, 'alice');
    expect(() => box.open(sealed, 'bob')).toThrow(SecretBoxError);
    expect(() => SecretBox.fromKey(Buffer.alloc(32, 8)).open(sealed, 'alice')).toThrow(SecretBoxError);
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    expect(() => box.open(flipped, 'alice')).toThrow(SecretBoxError);
    for (const bad of ['enc1:', 'enc1:AAAA', `enc1:${'A'.repeat(600)}`, 'enc1:!!!!', SEED]) expect(() => box.open(bad, 'alice')).toThrow(SecretBoxError);
  });

  it('refuses a key file that is not a key', () => {
    const p = dir();
    writeFileSync(p.key, 'not a key\n', { mode: 0o600 });
    expect(() => SecretBox.openOrCreate(p.key)).toThrow(/not a secrets key/);
  });
});

describe('UserDirectory with a secrets key', () => {
  it('writes no seed in plain text and reads it back with the key', async () => {
    const p = dir();
    const box = SecretBox.openOrCreate(p.key);
    const d = UserDirectory.empty(p.users, box);
    d.upsert(user('alice', SEED));
    d.upsert(user('bob'));
    await d.save();
    const text = readFileSync(p.users, 'utf8');
    expect(text).not.toContain(SEED);
    expect(text).toMatch(/"totpSecret": "enc1:/);
    expect((await UserDirectory.load(p.users, box)).get('alice')?.totpSecret).toBe(SEED);
    expect((await UserDirectory.load(p.users, box)).get('bob')?.totpSecret).toBeUndefined();
  });

  it('reads an older plain-text file and seals it at the next save', async () => {
    const p = dir();
    const plain = UserDirectory.empty(p.users);
    plain.upsert(user('alice', SEED));
    await plain.save();
    expect(readFileSync(p.users, 'utf8')).toContain(SEED);
    const box = SecretBox.openOrCreate(p.key);
    const d = await UserDirectory.load(p.users, box);
    expect(d.get('alice')?.totpSecret).toBe(SEED);
    await d.save();
    expect(readFileSync(p.users, 'utf8')).not.toContain(SEED);
  });

  it('says clearly when the key is missing or wrong, or a seed was moved to another user', async () => {
    const p = dir();
    const box = SecretBox.openOrCreate(p.key);
    const d = UserDirectory.empty(p.users, box);
    d.upsert(user('alice', SEED));
    d.upsert(user('bob', 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU'));
    await d.save();
    await expect(UserDirectory.load(p.users)).rejects.toThrow(/users\[0\]\.totpSecret.*secrets key/);
    await expect(UserDirectory.load(p.users, SecretBox.fromKey(Buffer.alloc(32, 1)))).rejects.toThrow(DirectoryError);
    const doc = JSON.parse(readFileSync(p.users, 'utf8')) as { users: { totpSecret: string }[] };
    doc.users[1]!.totpSecret = doc.users[0]!.totpSecret;
    writeFileSync(p.users, JSON.stringify(doc));
    await expect(UserDirectory.load(p.users, box)).rejects.toThrow(/users\[1\]\.totpSecret: cannot be opened/);
  });
});
