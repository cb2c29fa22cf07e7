import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureOutput, passwordFile } from '../testing/cli-io.ts';
import { main } from '../cli.ts';
import { loggedIn, startTestGateway } from '../session/test-gateway.ts';
import { adminCall } from './channel.ts';
import { UserDirectory } from '../identity/directory.ts';
import { SecretBox } from '../identity/secret-box.ts';

afterEach(() => { vi.restoreAllMocks(); });


type Line = { type: string; data: Record<string, unknown> };
const auditLines = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('admin commands against a running gateway (one code path: its live objects)', () => {
  it('adds and disables users in the live directory, revokes all of a user\'s certificates, refuses forged audit events', async () => {
    const t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob'] });
    try {
      const cfg = join(t.dir, 'cli.json');
      writeFileSync(cfg, JSON.stringify({ dataDir: t.gw.cfg.paths.dataDir }));
      const io = captureOutput();
      // A user added while the gateway runs is in its live directory at once (no reload), saved, audited by it.
      expect(await main(['--config', cfg, 'users', 'add', '--user', 'carol', '--role', 'Trader', '--password-file', passwordFile('carol-password')])).toBe(0);
      expect(t.gw.users.get('carol')?.compIds).toEqual(['CAROL']);
      expect((JSON.parse(readFileSync(t.gw.cfg.paths.users, 'utf8')) as { users: { username: string }[] }).users.map((u) => u.username)).toContain('carol');
      expect(await main(['--config', cfg, 'users', 'add', '--user', 'carol', '--role', 'Trader', '--password-file', passwordFile('carol-password')])).toBe(1);
      expect(io.err).toMatch(/user carol already exists/);

      // A TOTP seed enrolled on the live gateway is sealed on disk (issue 10 item 9): never in users.json in clear,
      // and the same seed is read back with the gateway's secrets key (a second factor that works after a restart).
      expect(await main(['--config', cfg, 'users', 'enroll-totp', '--user', 'carol'])).toBe(0);
      const seed = t.gw.users.get('carol')!.totpSecret!;
      expect(io.out).toContain(seed);
      expect(readFileSync(t.gw.cfg.paths.users, 'utf8')).not.toContain(seed);
      expect((await UserDirectory.load(t.gw.cfg.paths.users, SecretBox.openOrCreate(t.gw.cfg.paths.usersKey))).get('carol')?.totpSecret).toBe(seed);

      // Disabling a user ends their live session at once.
      const bob = await loggedIn(t, 'bob');
      expect(await main(['--config', cfg, 'users', 'disable', '--user', 'bob'])).toBe(0);
      expect(io.out).toMatch(/user bob disabled; 1 live session\(s\) ended/);
      await bob.closed();
      expect(t.gw.users.get('bob')?.disabled).toBe(true);

      // Every certificate of a user: revoked, CRL rewritten, the live session on one of them ended.
      const alice = await loggedIn(t, 'alice');
      const leaf = t.pki.clients.ALICE!.ec;
      t.gw.registry.recordIssued({ serial: leaf.serialNumber, user: 'alice', compId: 'ALICE', subject: 'CN=ALICE', notAfter: new Date(Date.now() + 86_400_000).toISOString(),
        issuedAt: new Date().toISOString(), fingerprint256: 'AA', via: 'import' });
      expect(await main(['--config', cfg, 'certs', 'revoke', '--user', 'alice', '--reason', 'keyCompromise'])).toBe(0);
      expect(io.out).toMatch(/certificate [0-9a-f]+ revoked; CRL updated; 1 live session\(s\) ended/);
      await alice.closed();
      expect(t.gw.registry.isRevoked(leaf.serialNumber)).toBe(true);
      // The CRL the acceptor checks now lists it, and a new connection on that certificate is refused.
      const { X509Crl } = await import('@peculiar/x509');
      const norm = (x: string) => x.toLowerCase().replace(/^0+/, '');
      expect(new X509Crl(t.gw.crl.current()).entries.map((e) => norm(e.serialNumber))).toContain(norm(leaf.serialNumber));
      await expect(loggedIn(t, 'alice')).rejects.toThrow();
      expect(await main(['--config', cfg, 'certs', 'revoke', '--user', 'alice'])).toBe(0);
      expect(io.out).toMatch(/revoked \(1 of them already revoked\)/);
      expect(await main(['--config', cfg, 'certs', 'revoke', '--user', 'nobody'])).toBe(1);
      expect(await main(['--config', cfg, 'certs', 'revoke', '--user', 'alice', '--serial', '01'])).toBe(2);
      expect(await main(['--config', cfg, 'certs', 'list'])).toBe(0);
      expect(io.out).toMatch(/"revoked": true/);

      // The socket has no command that appends an event chosen by the caller.
      await expect(adminCall(t.gw.cfg.paths.adminSocket, 'audit', { type: 'logon.success', data: { user: 'ceo' } })).rejects.toMatchObject({ code: 'unknown-command' });
      vi.restoreAllMocks();
      const lines = auditLines(t.gw.cfg.paths.audit);
      expect(lines.some((l) => l.type === 'logon.success' && l.data.user === 'ceo')).toBe(false);
      expect(lines.filter((l) => l.type === 'admin.user-added').map((l) => l.data)).toEqual([{ username: 'carol', role: 'Trader', compIds: ['CAROL'], privileged: false, by: 'admin' }]);
      expect(lines.find((l) => l.type === 'cert.revoked')?.data).toMatchObject({ reason: 'keyCompromise', by: expect.any(String) });
      expect(JSON.stringify(lines)).not.toMatch(/carol-password/);
    } finally {
      vi.restoreAllMocks();
      await t.close();
    }
  });
});

describe('certs revoke without a gateway: the same handler on the files', () => {
  it('revokes every certificate of a user, and a serial with the certificates renewed from it, into revoked.json and the CRL', async () => {
    const { createDevPki } = await import('../../fix/pki/devpki.ts');
    const { loadConfig } = await import('../config.ts');
    const { CertRegistry } = await import('../enroll/registry.ts');
    const { X509Crl } = await import('@peculiar/x509');
    const dir = mkdtempSync(join(tmpdir(), 'gwcerts-'));
    const pki = await createDevPki(join(dir, 'pki'), { clients: [] });
    const cfgFile = join(dir, 'gw.json');
    writeFileSync(cfgFile, JSON.stringify({ dataDir: 'data', pki: { dir: pki.dir } }));
    const paths = loadConfig(cfgFile).paths;
    const io = captureOutput();
    expect(await main(['--config', cfgFile, 'users', 'add', '--user', 'dora', '--role', 'Trader', '--password-file', passwordFile('dora-password')])).toBe(0);
    const reg = new CertRegistry({ issued: paths.issued, revoked: paths.revoked, crl: null });
    const cert = (serial: string, user: string, previous?: string) => ({ serial, user, compId: user.toUpperCase(), subject: `CN=${user}`, notAfter: '2030-01-01T00:00:00.000Z',
      issuedAt: '2026-01-01T00:00:00.000Z', fingerprint256: 'AA', via: previous ? 'renew' as const : 'enroll' as const, ...(previous ? { previous } : {}) });
    reg.recordIssued(cert('0a01', 'dora'));
    reg.recordIssued(cert('0a02', 'dora', '0a01'));
    reg.recordIssued(cert('0b01', 'eve'));
    reg.recordIssued(cert('0b02', 'eve', '0b01'));
    reg.recordIssued(cert('0b03', 'eve'));

    expect(await main(['--config', cfgFile, 'certs', 'revoke', '--user', 'dora', '--reason', 'left the firm'])).toBe(0);
    expect(io.out).toMatch(/revoked 2 certificate\(s\): a01, a02; CRL .*crl\.pem updated \(the gateway is not running\)/);
    expect(await main(['--config', cfgFile, 'revoke', '--serial', '0B01'])).toBe(0);
    expect(io.out).toMatch(/revoked 2 certificate\(s\): b01, b02;/);
    expect(await main(['--config', cfgFile, 'certs', 'revoke', '--user', 'zed'])).toBe(1);
    vi.restoreAllMocks();
    reg.reload();
    expect(['a01', 'a02', 'b01', 'b02', 'b03'].map((s) => reg.isRevoked(s))).toEqual([true, true, true, true, false]);
    const crl = new X509Crl(readFileSync(paths.crl, 'utf8'));
    expect(crl.entries.map((e) => e.serialNumber.replace(/^0+/, '')).sort()).toEqual(['a01', 'a02', 'b01', 'b02']);
    const revokedLines = auditLines(paths.audit).filter((l) => l.type === 'cert.revoked').map((l) => [l.data.serial, l.data.reason]);
    expect(revokedLines).toEqual([['a01', 'left the firm'], ['a02', 'left the firm'], ['b01', 'unspecified'], ['b02', 'unspecified']]);
  });
});
