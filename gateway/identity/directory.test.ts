import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError, UserDirectory, hashPassword, verifyPassword, type User } from './directory.ts';

let dir: string;
let hash: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-dir-'));
  hash = await hashPassword('correct horse', { N: 1024 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function user(over: Partial<User> = {}): User {
  return {
    username: 'alice', role: 'Trader', privileged: false, passwordHash: hash, totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DP',
    webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: ['CN=alice,O=Parley'], compIds: ['ALICE'], ...over,
  };
}

async function writeUsers(name: string, content: unknown): Promise<string> {
  const f = join(dir, name);
  await writeFile(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

async function loadError(content: unknown): Promise<string> {
  const f = await writeUsers('users.json', content);
  try {
    await UserDirectory.load(f);
  } catch (e) {
    expect(e).toBeInstanceOf(DirectoryError);
    return (e as Error).message;
  }
  throw new Error('expected load to fail');
}

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword(hash, 'correct horse')).toBe(true);
    expect(await verifyPassword(hash, 'correct horsf')).toBe(false);
    expect(await verifyPassword(hash, '')).toBe(false);
  });
  it('treats malformed or hostile hashes as non-matching without throwing', async () => {
    for (const h of ['', 'plain', 'scrypt$1024$8$1$$', 'bcrypt$x', `scrypt$${2 ** 30}$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==`,
      'scrypt$1000$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', 'scrypt$1024$999$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==']) {
      expect(await verifyPassword(h, 'x')).toBe(false);
    }
    expect(await verifyPassword(null as unknown as string, 'x')).toBe(false);
  });
  it('salts each hash', async () => {
    const a = await hashPassword('pw', { N: 1024 });
    const b = await hashPassword('pw', { N: 1024 });
    expect(a).not.toBe(b);
    expect(await verifyPassword(b, 'pw')).toBe(true);
  });
});

describe('UserDirectory', () => {
  it('loads, looks up by username, CompID and certificate subject, and round-trips through save', async () => {
    const f = await writeUsers('ok.json', { users: [user(), user({ username: 'rob', role: 'Risk Officer', compIds: ['ROB'], certSubjects: [], totpSecret: undefined })] });
    const d = await UserDirectory.load(f);
    expect(d.size).toBe(2);
    expect(d.get('alice')?.role).toBe('Trader');
    expect(d.byCompId('ROB')?.username).toBe('rob');
    expect(d.byCertSubject('CN=alice,O=Parley')?.username).toBe('alice');
    expect(d.get('nobody')).toBeUndefined();
    d.upsert(user({ username: 'ivan', role: 'IT Admin', privileged: true, compIds: ['IVAN'], certSubjects: [] }));
    await d.save();
    expect((await stat(f)).mode & 0o777).toBe(0o600);
    const again = await UserDirectory.load(f);
    expect(again.get('ivan')?.privileged).toBe(true);
    expect(again.list().map((u) => u.username).sort()).toEqual(['alice', 'ivan', 'rob']);
    expect(JSON.parse(await readFile(f, 'utf8')).users).toHaveLength(3);
  });

  it('upsert replaces a user, refuses a CompID bound to another user, and leaves the directory unchanged then', () => {
    const d = UserDirectory.parse(JSON.stringify({ users: [user(), user({ username: 'bob', compIds: ['BOB'], certSubjects: [] })] }), 'users.json');
    d.upsert(user({ compIds: ['ALICE2'] }));
    expect(d.byCompId('ALICE')).toBeUndefined();
    expect(d.byCompId('ALICE2')?.username).toBe('alice');
    expect(() => d.upsert(user({ compIds: ['BOB'] }))).toThrow(/CompID "BOB" is already bound to "bob"/);
    expect(d.byCompId('ALICE2')?.username).toBe('alice');
    expect(() => d.upsert(user({ role: 'Boss' as never }))).toThrow(/role: must be one of/);
    expect(d.remove('bob')).toBe(true);
    expect(d.byCompId('BOB')).toBeUndefined();
  });

  it.each([
    [() => ('{"users": ['), /users.json: not valid JSON/],
    [() => (''), /users.json: not valid JSON/],
    [() => ('[]'), /users.json: must be a JSON object/],
    [() => ('null'), /users.json: must be a JSON object/],
    [() => ({ users: {} }), /users.json: users: must be an array/],
    [() => ({ users: [], admin: true }), /users.json: admin: unknown field/],
    [() => ({ users: [user(), user({ username: 'x', role: 'Boss' as never })] }), /users.json: users\[1\].role: must be one of "Trader", "Quant Analyst", "Risk Officer", "IT Admin", "service account"/],
    [() => ({ users: [user({ username: 'a b' })] }), /users\[0\].username: must be/],
    [() => ({ users: [user({ username: 'x'.repeat(65) })] }), /users\[0\].username/],
    [() => ({ users: [user({ privileged: 'yes' as never })] }), /users\[0\].privileged: must be true or false/],
    [() => ({ users: [user({ passwordHash: 'hunter2' })] }), /users\[0\].passwordHash: must be scrypt/],
    [() => ({ users: [user({ passwordHash: 'scrypt$2147483648$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==' })] }), /users\[0\].passwordHash/],
    [() => ({ users: [user({ totpSecret: 'not base32!' })] }), /users\[0\].totpSecret: must be base32/],
    [() => ({ users: [user({ totpSecret: 'ABC' })] }), /users\[0\].totpSecret/],
    [() => ({ users: [user({ expectedCountries: ['gb'] })] }), /users\[0\].expectedCountries\[0\]: must be an ISO 3166/],
    [() => ({ users: [user({ expectedCountries: 'GB' as never })] }), /users\[0\].expectedCountries: must be an array/],
    [() => ({ users: [user({ compIds: ['A\u0001B'] })] }), /users\[0\].compIds\[0\]: must be printable ASCII/],
    [() => ({ users: [user({ compIds: Array(100).fill('X') })] }), /users\[0\].compIds: must have at most 64/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: 'abc', publicKey: 'pk', counter: -1 }] })] }), /users\[0\].webauthnCredentials\[0\].counter/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: '+/=', publicKey: 'pk', counter: 0 }] })] }), /webauthnCredentials\[0\].id: must be base64url/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: 'a', publicKey: 'pk', counter: 0, evil: 1 }] as never })] }), /webauthnCredentials\[0\].evil: unknown field/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: 'a', publicKey: 'pk', counter: 0, createdAt: 'yesterday' }] })] }), /webauthnCredentials\[0\].createdAt: must be an ISO 8601 time/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: 'a', publicKey: 'pk', counter: 0, lastUsedAt: 1700000000 as never }] })] }), /webauthnCredentials\[0\].lastUsedAt: must be an ISO 8601 time/],
    [() => ({ users: [user({ webauthnCredentials: [{ id: 'a', publicKey: 'pk', counter: 0, createdAt: '2026-13-45T99:99:99Z' }] })] }), /createdAt: must be an ISO 8601 time/],
    [() => ({ users: [{ ...user(), isAdmin: true }] }), /users\[0\].isAdmin: unknown field/],
    [() => ({ users: [user(), user()] }), /users\[1\].username: duplicate username "alice"/],
    [() => ({ users: [user(), user({ username: 'eve' })] }), /users\[1\].compIds\[0\]: CompID "ALICE" is already bound to "alice"/],
    [() => ({ users: [user(), user({ username: 'eve', compIds: [] })] }), /users\[1\].certSubjects\[0\]: subject .* already bound/],
    [() => ({ users: [7] }), /users\[0\]: must be an object/],
    [() => ('{"users":[{"__proto__":{"role":"IT Admin"}}]}'), /users\[0\].__proto__: unknown field/],
  ] as [() => unknown, RegExp][])('refuses a hostile or garbage directory (%#)', async (content, message) => {
    expect(await loadError(content())).toMatch(message);
  });

  it('keeps a security key\'s registration and last-use times through save and load', async () => {
    const f = join(dir, 'times.json');
    const d = UserDirectory.empty(f);
    d.upsert(user({ webauthnCredentials: [{ id: 'a', publicKey: 'pk', counter: 3, createdAt: '2026-11-21T09:30:00.000Z', lastUsedAt: '2026-11-21T10:00:00Z' }, { id: 'b', publicKey: 'pk', counter: 0 }] }));
    await d.save();
    const again = await UserDirectory.load(f);
    expect(again.get('alice')?.webauthnCredentials).toEqual([
      { id: 'a', publicKey: 'pk', counter: 3, createdAt: '2026-11-21T09:30:00.000Z', lastUsedAt: '2026-11-21T10:00:00Z' },
      { id: 'b', publicKey: 'pk', counter: 0 },
    ]);
  });

  it('names the file when it is missing or oversized', async () => {
    await expect(UserDirectory.load(join(dir, 'missing.json'))).rejects.toThrow(/missing.json: cannot read the user directory \(ENOENT\)/);
    const big = join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(17 * 1024 * 1024, 0x20));
    await expect(UserDirectory.load(big)).rejects.toThrow(/big.json: file is \d+ bytes; the limit is/);
  });
});

describe('service accounts and the protocol flag (issue 11 items 1, 3)', () => {
  const FP = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).toUpperCase().padStart(2, '0')).join(':');
  const svc = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    username: 'oms-1', role: 'Order Flow Engine', privileged: false, compIds: ['OMS1'], protocol: 'fix44',
    service: { purpose: 'order-flow', allowedCidrs: ['10.20.0.0/24', '2001:db8::/64'], certFingerprints: [FP] }, ...over,
  });

  it('loads a machine identity without password or second factor, and saves it without a passwordHash', async () => {
    const f = await writeUsers('svc.json', { users: [svc(), { ...user(), protocol: 'fix44' }] });
    const d = await UserDirectory.load(f);
    const u = d.get('oms-1')!;
    expect(u).toMatchObject({ role: 'Order Flow Engine', passwordHash: '', protocol: 'fix44', service: { purpose: 'order-flow', allowedCidrs: ['10.20.0.0/24', '2001:db8::/64'], certFingerprints: [FP] } });
    expect(d.get('alice')?.protocol).toBe('fix44');
    expect(await verifyPassword(u.passwordHash, '')).toBe(false);
    await d.save();
    const saved = JSON.parse(await readFile(f, 'utf8')) as { users: Record<string, unknown>[] };
    expect(saved.users.find((x) => x.username === 'oms-1')).not.toHaveProperty('passwordHash');
    expect((await UserDirectory.load(f)).get('oms-1')).toEqual(u);
  });

  it('refuses a service account with a secret, without CompIDs, or in the wrong role — naming the field', async () => {
    expect(await loadError({ users: [svc({ passwordHash: hash })] })).toMatch(/users\[0\]\.passwordHash: a service account has no password/);
    expect(await loadError({ users: [svc({ totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DP' })] })).toMatch(/users\[0\]\.totpSecret: a service account has no second factor/);
    expect(await loadError({ users: [svc({ compIds: [] })] })).toMatch(/users\[0\]\.compIds: a service account needs at least one CompID/);
    expect(await loadError({ users: [svc({ role: 'Trader' })] })).toMatch(/users\[0\]\.role: must be one of "Order Flow Engine", "Analytics Service"/);
    const { service: _s, ...noService } = svc();
    expect(await loadError({ users: [noService] })).toMatch(/users\[0\]\.service: is required for the role "Order Flow Engine"/);
  });

  it('refuses garbage, hostile and oversized service fields and protocol values', async () => {
    const bad = (service: unknown) => loadError({ users: [svc({ service })] });
    expect(await bad('yes')).toMatch(/service: must be an object/);
    expect(await bad({ purpose: 'trading', allowedCidrs: ['10.0.0.0/8'], certFingerprints: [FP] })).toMatch(/service\.purpose/);
    expect(await bad({ purpose: 'analytics', allowedCidrs: [], certFingerprints: [FP] })).toMatch(/allowedCidrs: must name at least one/);
    for (const c of ['10.0.0.0', '10.0.0.0/33', '999.1.1.1/8', '::/129', '10.0.0.0/8/8', 'x'.repeat(5000), 7]) {
      expect(await bad({ purpose: 'analytics', allowedCidrs: [c], certFingerprints: [FP] })).toMatch(/allowedCidrs\[0\]: must be a CIDR/);
    }
    expect(await bad({ purpose: 'analytics', allowedCidrs: Array(65).fill('10.0.0.0/8'), certFingerprints: [FP] })).toMatch(/at most 64/);
    expect(await bad({ purpose: 'analytics', allowedCidrs: ['10.0.0.0/8'], certFingerprints: [FP.toLowerCase()] })).toMatch(/certFingerprints\[0\]: must be a SHA-256/);
    expect(await bad({ purpose: 'analytics', allowedCidrs: ['10.0.0.0/8'], certFingerprints: [FP], extra: 1 })).toMatch(/service\.extra: unknown field/);
    expect(await loadError({ users: [svc({ protocol: 'FIX.4.2' })] })).toMatch(/users\[0\]\.protocol: must be "parley" or "fix44"/);
  });
});
