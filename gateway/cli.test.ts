import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs, parseDuration } from './cli.ts';

function capture() {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  return { get out() { return out; }, get err() { return err; } };
}
afterEach(() => { vi.restoreAllMocks(); });

function tmpConfig(extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwcli-'));
  const file = join(dir, 'gw.json');
  writeFileSync(file, JSON.stringify({ dataDir: 'data', ...extra }));
  return file;
}

describe('gateway CLI', () => {
  it('parses options and durations, refusing malformed ones', () => {
    expect(parseArgs(['users', 'add', '--user', 'a', '--country', 'GB', '--country', 'FR', '--privileged']).flags.get('country')).toEqual(['GB', 'FR']);
    expect(() => parseArgs(['--user'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--Bad!'])).toThrow(/bad option/);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(() => parseDuration('forever')).toThrow(/bad duration/);
  });

  it('prints help with exit 0, usage errors exit 2, bad config exits 3 naming file and field', async () => {
    const io = capture();
    expect(await main(['--help'])).toBe(0);
    expect(io.out).toMatch(/tokens issue/);
    const cfg = tmpConfig();
    expect(await main(['--config', cfg, 'frobnicate'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'x', '--role', 'Pilot', '--password', 'longenough'])).toBe(2);
    const bad = tmpConfig({ rateLimit: { burst: -1 } });
    expect(await main(['--config', bad, 'status'])).toBe(3);
    expect(io.err).toContain(bad);
    expect(io.err).toMatch(/rateLimit\.burst/);
  });

  it('manages users and one-time tokens; live commands without a gateway exit 4', async () => {
    const io = capture();
    const cfg = tmpConfig();
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'tina', '--role', 'Trader', '--compid', 'TINA', '--password', 'tina-password', '--country', 'gb'])).toBe(0);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'tina', '--role', 'Trader', '--password', 'tina-password'])).toBe(1);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'short', '--role', 'Trader', '--password', 'x'])).toBe(1);
    expect(await main(['--config', cfg, 'users', 'enroll-totp', '--user', 'tina'])).toBe(0);
    expect(io.out).toMatch(/otpauth:\/\/totp\//);
    expect(await main(['--config', cfg, 'tokens', 'issue', '--user', 'tina', '--ttl', '1h'])).toBe(0);
    expect(io.out).toMatch(/"token": "pet_/);
    expect(await main(['--config', cfg, 'tokens', 'issue', '--user', 'nobody'])).toBe(1);
    expect(await main(['--config', cfg, 'tokens', 'issue', '--user', 'tina', '--compid', 'OTHER'])).toBe(1);
    const dataDir = join(cfg, '..', 'data');
    expect(readFileSync(join(dataDir, 'enroll-tokens.json'), 'utf8')).not.toMatch(/pet_/);
    expect(await main(['--config', cfg, 'sessions', 'list'])).toBe(4);
    expect(io.err).toMatch(/not running/);
    // Admin actions were audited (the gateway is not running, so the CLI appended), and the chain verifies.
    expect(await main(['--config', cfg, 'audit', 'verify'])).toBe(0);
    const audit = join(dataDir, 'audit.jsonl');
    const text = readFileSync(audit, 'utf8');
    expect(text).toMatch(/admin\.user-added/);
    writeFileSync(audit, text.split('\n').filter((_, i) => i !== 1).join('\n'));
    expect(await main(['--config', cfg, 'audit', 'verify'])).toBe(1);
    expect(io.err).toMatch(/TAMPERED/);
  });
});

describe('gateway CLI against a running gateway', () => {
  it('lists and kills sessions, revokes a certificate (ending its session), reloads the policy', async () => {
    const { startTestGateway, loggedIn } = await import('./session/test-gateway.ts');
    const { MSG, readSecurityStatus } = await import('../fix/parley-protocol.ts');
    const t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob'] });
    try {
      const cfg = join(t.dir, 'cli.json');
      writeFileSync(cfg, JSON.stringify({ dataDir: t.gw.cfg.paths.dataDir }));
      const alice = await loggedIn(t, 'alice');
      const bob = await loggedIn(t, 'bob');
      const io = capture();
      expect(await main(['--config', cfg, 'status'])).toBe(0);
      expect(await main(['--config', cfg, 'sessions', 'list'])).toBe(0);
      expect(io.out).toMatch(/"user": "alice"/);
      expect(await main(['--config', cfg, 'sessions', 'kill', '--user', 'alice', '--reason', 'test kill'])).toBe(0);
      expect(readSecurityStatus(await alice.waitFor(MSG.SecurityStatus, (m) => m.get(5002) === 'ENDED')).text).toMatch(/test kill/);
      await alice.closed();
      expect(await main(['--config', cfg, 'sessions', 'kill', '--user', 'nobody'])).toBe(1);
      expect(await main(['--config', cfg, 'revoke', '--serial', t.pki.clients.BOB!.ec.serialNumber, '--reason', 'keyCompromise'])).toBe(0);
      expect(io.out).toMatch(/1 live session\(s\) ended/);
      await bob.closed();
      expect(await main(['--config', cfg, 'policy', 'reload'])).toBe(0);
      expect(await main(['--config', cfg, 'revoke', '--serial', 'zz-not-hex'])).toBe(2);
      vi.restoreAllMocks();
      expect(readFileSync(t.gw.cfg.paths.audit, 'utf8')).toMatch(/"type":"admin.command".*"cmd":"sessions.kill"/);
    } finally {
      vi.restoreAllMocks();
      await t.close();
    }
  });
});
