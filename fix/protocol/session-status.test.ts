/**
 * ParleySessionStatus on the engine's own Logout: written by writeLogoutSessionStatus through
 * SessionConfig.logoutFields, read by readLogoutSessionStatus — over real mutual TLS, a client whose fresh store
 * is behind the gateway's numbers gets a Logout that says so as a field. Hostile values read as no status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FixMessage } from '../codec.ts';
import { parleyDictionary } from '../parley-protocol.ts';
import { createDevPki, type DevPki } from '../pki/devpki.ts';
import { acceptSession, initiateSession, type FixSession, type SessionConfig } from '../session.ts';
import { MemoryStore } from '../store.ts';
import { connectFixs, createFixsServer, type FixsServer } from '../transport.ts';
import { validateMessage } from '../validate.ts';
import { readLogoutSessionStatus, Tag, writeLogoutSessionStatus } from './index.ts';

let dir = '';
let pki: DevPki;
const servers: FixsServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fix-session-status-'));
  pki = await createDevPki(join(dir, 'pki'), { clients: ['CLIENT1'] });
}, 60_000);
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const logout = (fields: { tag: number; value: string }[]): FixMessage => new FixMessage([{ tag: Tag.MsgType, value: '5' }, ...fields]);

describe('ParleySessionStatus', () => {
  it('round-trips seq-too-low; other causes write nothing; the field is valid on a Logout of the Parley dictionary', () => {
    const fields = writeLogoutSessionStatus('seq-too-low');
    expect(readLogoutSessionStatus(logout(fields))).toBe('seq-too-low');
    for (const cause of ['logged-out', 'garbled', 'taken-over', '', 'seq-too-low ']) expect(writeLogoutSessionStatus(cause)).toEqual([]);
    expect(validateMessage(logout([{ tag: Tag.Text, value: 'x' }, ...fields]), parleyDictionary(), { checkRequiredFields: false })).toBeNull();
  });

  it('reads garbage, empty, oversized and repeated values as no status', () => {
    for (const v of ['', '09', '9 ', '10', 'seq-too-low', 'x'.repeat(100_000), '\u0000', '-9']) {
      expect(readLogoutSessionStatus(logout([{ tag: Tag.ParleySessionStatus, value: v }]))).toBeUndefined();
    }
    expect(readLogoutSessionStatus(logout([]))).toBeUndefined();
    // The first occurrence counts (a second one is the validator's to refuse).
    expect(readLogoutSessionStatus(logout([{ tag: Tag.ParleySessionStatus, value: 'x' }, { tag: Tag.ParleySessionStatus, value: '9' }]))).toBeUndefined();
  });

  it('a Logon behind the gateway\'s numbers is refused with a Logout carrying seq-too-low', async () => {
    const cfg: SessionConfig = {
      senderCompId: 'GW', targetCompId: 'CLIENT1', heartBtInt: 30, store: new MemoryStore(), logonTimeoutMs: 5_000,
      dictionary: parleyDictionary(), logoutFields: writeLogoutSessionStatus,
    };
    const server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, (conn) => {
      const s = acceptSession(conn, { logonTimeoutMs: 5_000, lookup: (peer, us) => (peer === 'CLIENT1' && us === 'GW' ? cfg : undefined) });
      s.on('error', () => {});
    });
    servers.push(server);
    const connect = async (store: MemoryStore): Promise<FixSession> => {
      const c = pki.clients.CLIENT1!.ec;
      const conn = await connectFixs({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
      const fix = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store, dictionary: parleyDictionary() });
      fix.on('error', () => {});
      return fix;
    };
    const first = await connect(new MemoryStore());
    await new Promise<void>((resolve, reject) => {
      first.once('logon', () => resolve());
      first.once('closed', (r: string) => reject(new Error(`closed before logon: ${r}`)));
    });
    await first.logout();
    // A fresh store starts again at MsgSeqNum 1, behind what the gateway expects.
    const again = await connect(new MemoryStore());
    const seen = new Promise<FixMessage | undefined>((resolve) => again.once('logout', (_t: string | undefined, m: FixMessage | undefined) => resolve(m)));
    const closed = new Promise<void>((resolve) => again.once('closed', () => resolve()));
    const m = await seen;
    await closed;
    expect(m).toBeDefined();
    expect(readLogoutSessionStatus(m!)).toBe('seq-too-low');
  });
});
