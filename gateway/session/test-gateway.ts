/**
 * A real gateway for tests and benchmarks: fresh dev PKI (fix/pki) and data folder in a temp dir, a user
 * directory with a trader, a risk officer and a second trader, and the gateway started on port 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki, type DevPki } from '../../fix/pki/devpki.ts';
import { parseConfig, type GatewayConfigInput } from '../config.ts';
import { hashPassword, UserDirectory, type Role } from '../identity/directory.ts';
import { newTotpSecret } from '../mfa/totp.ts';
import { Gateway } from '../server.ts';
import { MSG, readSecurityStatus, readStepUpChallenge, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { TestClient, totpCode, type ClientOptions } from './test-client.ts';

export type TestUser = { username: string; compId: string; role: Role; password: string; totpSecret: string };

export const TEST_USERS: Omit<TestUser, 'totpSecret'>[] = [
  { username: 'alice', compId: 'ALICE', role: 'Trader', password: 'alice-pw-1' },
  { username: 'bob', compId: 'BOB', role: 'Trader', password: 'bob-pw-1' },
  { username: 'rita', compId: 'RITA', role: 'Risk Officer', password: 'rita-pw-1' },
  { username: 'carol', compId: 'CAROL', role: 'Trader', password: 'carol-pw-1' },
  { username: 'dave', compId: 'DAVE', role: 'Trader', password: 'dave-pw-1' },
  { username: 'erin', compId: 'ERIN', role: 'Trader', password: 'erin-pw-1' },
  { username: 'frank', compId: 'FRANK', role: 'Trader', password: 'frank-pw-1' },
  { username: 'gina', compId: 'GINA', role: 'Trader', password: 'gina-pw-1' },
  ...['hank', 'ivy', 'jack', 'kate', 'liam'].map((u) => ({ username: u, compId: u.toUpperCase(), role: 'Trader' as const, password: `${u}-pw-1` })),
];

const usedStep = new Map<string, number>();
/**
 * A TOTP code the gateway will accept now for this user: TOTP refuses a step already used, so successive
 * logons of one user take successive steps inside the ±1 window (three per 30 s).
 */
export function freshTotp(u: TestUser, now = Date.now()): string {
  const current = Math.floor(now / 30_000);
  const step = Math.max(current - 1, (usedStep.get(u.username) ?? -Infinity) + 1);
  if (step > current + 1) throw new Error(`test user ${u.username} used every TOTP step of the window; use another user`);
  usedStep.set(u.username, step);
  return totpCode(u.totpSecret, step * 30_000 + 1_000);
}

/** Logs a user on and answers the logon step-up with TOTP; resolves once the session is allowed. */
export async function loggedIn(t: TestGateway, username: string, o: Partial<ClientOptions> = {}): Promise<TestClient> {
  const c = await t.connect(username, o);
  const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
  c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users[username]!) }));
  await c.waitFor(MSG.StepUpResult);
  const st = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
  if (st.decision !== 'allow') throw new Error(`${username} not allowed: ${JSON.stringify(st)}`);
  return c;
}

export type TestGateway = {
  gw: Gateway; pki: DevPki; dir: string; users: Record<string, TestUser>;
  connect(username: string, o?: Partial<ClientOptions>): Promise<TestClient>;
  close(): Promise<void>;
};

export async function startTestGateway(overrides: GatewayConfigInput = {}, o: { memoryStores?: boolean; extraClients?: string[]; users?: string[] } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
  // Every dev-PKI client gets an RSA-2048 key too (for QuickFIX); issue only the certificates a test needs.
  const wanted = TEST_USERS.filter((u) => !o.users || o.users.includes(u.username));
  const pki = await createDevPki(join(dir, 'pki'), { clients: [...wanted.map((u) => u.compId), ...(o.extraClients ?? [])] });
  const usersFile = join(dir, 'data', 'users.json');
  const directory = UserDirectory.empty(usersFile);
  const users: Record<string, TestUser> = {};
  for (const u of wanted) {
    const totpSecret = newTotpSecret();
    users[u.username] = { ...u, totpSecret };
    directory.upsert({
      username: u.username, role: u.role, privileged: false, passwordHash: await hashPassword(u.password, { N: 1024 }),
      totpSecret, webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [u.compId],
    });
  }
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'data'), { recursive: true });
  await directory.save();
  const cfg = parseConfig({
    dataDir: join(dir, 'data'),
    pki: { dir: pki.dir },
    desk: { dealers: [{ name: 'DLR1', delayMs: 0, spreadBps: 8 }, { name: 'DLR2', delayMs: 5, spreadBps: 12 }, { name: 'DLR3', delayMs: 10, spreadBps: 20 }], quoteTtlMs: 30_000 },
    ...overrides,
    // The test users' hashes are cheap (N=1024) and stay so: no test logon pays a 128 MiB rehash unless it asks.
    identity: { scrypt: { N: 1024 }, ...overrides.identity },
  }, join(dir, 'gateway.json'));
  const gw = await Gateway.start(cfg, { log: () => {}, ...(o.memoryStores ? { memoryStores: true } : {}) });
  const connect = (username: string, co: Partial<ClientOptions> = {}) => {
    const u = users[username];
    const compId = co.compId ?? u?.compId ?? username;
    const leaf = pki.clients[compId]?.ec;
    if (!leaf && !(co.cert && co.key)) throw new Error(`no dev-PKI client certificate for ${compId}`);
    return TestClient.connect({
      port: gw.fixPort, ca: pki.caCertPem, cert: co.cert ?? leaf!.certPem, key: co.key ?? leaf!.keyPem,
      compId, username, password: u?.password ?? 'nope', ...co,
    });
  };
  return {
    gw, pki, dir, users, connect,
    close: async () => {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
