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
import { TestClient, type ClientOptions } from './test-client.ts';

export type TestUser = { username: string; compId: string; role: Role; password: string; totpSecret: string };

export const TEST_USERS: Omit<TestUser, 'totpSecret'>[] = [
  { username: 'alice', compId: 'ALICE', role: 'Trader', password: 'alice-pw-1' },
  { username: 'bob', compId: 'BOB', role: 'Trader', password: 'bob-pw-1' },
  { username: 'rita', compId: 'RITA', role: 'Risk Officer', password: 'rita-pw-1' },
];

export type TestGateway = {
  gw: Gateway; pki: DevPki; dir: string; users: Record<string, TestUser>;
  connect(username: string, o?: Partial<ClientOptions>): Promise<TestClient>;
  close(): Promise<void>;
};

export async function startTestGateway(overrides: GatewayConfigInput = {}, o: { memoryStores?: boolean; extraClients?: string[] } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
  const pki = await createDevPki(join(dir, 'pki'), { clients: [...TEST_USERS.map((u) => u.compId), ...(o.extraClients ?? [])] });
  const usersFile = join(dir, 'data', 'users.json');
  const directory = UserDirectory.empty(usersFile);
  const users: Record<string, TestUser> = {};
  for (const u of TEST_USERS) {
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
