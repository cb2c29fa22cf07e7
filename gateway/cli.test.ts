import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureOutput, passwordFile } from './testing/cli-io.ts';
import { main, parseArgs, parseDuration } from './cli.ts';

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
    const io = captureOutput();
    expect(await main(['--help'])).toBe(0);
    expect(io.out).toMatch(/tokens issue/);
    const cfg = tmpConfig();
    expect(await main(['--config', cfg, 'frobnicate'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'x', '--role', 'Pilot', '--password-file', passwordFile('longenough')])).toBe(2);
    const bad = tmpConfig({ rateLimit: { burst: -1 } });
    expect(await main(['--config', bad, 'status'])).toBe(3);
    expect(io.err).toContain(bad);
    expect(io.err).toMatch(/rateLimit\.burst/);
  });

  it('manages users and one-time tokens; live commands without a gateway exit 4', async () => {
    const io = captureOutput();
    const cfg = tmpConfig();
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'tina', '--role', 'Trader', '--compid', 'TINA', '--password-file', passwordFile('tina-password'), '--country', 'gb'])).toBe(0);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'tina', '--role', 'Trader', '--password-file', passwordFile('tina-password')])).toBe(1);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'short', '--role', 'Trader', '--password-file', passwordFile('x')])).toBe(1);
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

describe('gateway CLI: users keys against the user directory file (no gateway running)', () => {
  it('lists and removes security keys with clear errors and exit codes, audited', async () => {
    const io = captureOutput();
    const cfg = tmpConfig();
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'kim', '--role', 'Trader', '--password-file', passwordFile('kim-password')])).toBe(0);
    const users = join(cfg, '..', 'data', 'users.json');
    const doc = JSON.parse(readFileSync(users, 'utf8')) as { users: { webauthnCredentials: unknown[] }[] };
    doc.users[0]!.webauthnCredentials = [
      { id: 'a2V5LW9uZQ', publicKey: 'cGsx', counter: 5, transports: ['usb', 'nfc'], createdAt: '2026-11-21T09:30:00.000Z' },
      { id: 'a2V5LXR3bw', publicKey: 'cGsy', counter: 0 },
      { id: 'a2V5LXRocmVl', publicKey: 'cGsz', counter: 1 },
    ];
    writeFileSync(users, JSON.stringify(doc));
    expect(await main(['--config', cfg, 'users', 'keys', 'list', '--user', 'kim'])).toBe(0);
    const listed = JSON.parse(io.out.slice(io.out.indexOf('['))) as { id: string; createdAt: string | null; counter: number; transports: string[]; lastUsedAt: string | null }[];
    expect(listed).toEqual([
      { id: 'a2V5LW9uZQ', createdAt: '2026-11-21T09:30:00.000Z', counter: 5, transports: ['usb', 'nfc'], lastUsedAt: null },
      { id: 'a2V5LXR3bw', createdAt: null, counter: 0, transports: [], lastUsedAt: null },
      { id: 'a2V5LXRocmVl', createdAt: null, counter: 1, transports: [], lastUsedAt: null },
    ]);
    expect(io.out).not.toMatch(/cGsx/);
    // Usage errors exit 2; an unknown user or key id exits 1 with the reason.
    expect(await main(['--config', cfg, 'users', 'keys', 'list'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim', '--id', 'a2V5LW9uZQ', '--all'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'keys', 'frob', '--user', 'kim'])).toBe(2);
    expect(io.err).toMatch(/needs --id <credential id> or --all/);
    expect(await main(['--config', cfg, 'users', 'keys', 'list', '--user', 'nobody'])).toBe(1);
    expect(io.err).toMatch(/no user nobody/);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim', '--id', 'bm8tc3VjaC1rZXk'])).toBe(1);
    expect(io.err).toMatch(/kim has no security key bm8tc3VjaC1rZXk/);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim', '--id', 'not base64url!'])).toBe(1);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim', '--id', 'a2V5LW9uZQ'])).toBe(0);
    expect(io.out).toMatch(/removed 1 security key\(s\) of kim in .*users\.json \(the gateway is not running\): a2V5LW9uZQ; 2 left/);
    expect(io.out).toMatch(/sessions kill --user kim/);
    const after = () => (JSON.parse(readFileSync(users, 'utf8')) as { users: { webauthnCredentials: { id: string }[] }[] }).users[0]!.webauthnCredentials.map((c) => c.id);
    expect(after()).toEqual(['a2V5LXR3bw', 'a2V5LXRocmVl']);
    expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'kim', '--all'])).toBe(0);
    expect(after()).toEqual([]);
    expect(await main(['--config', cfg, 'users', 'list'])).toBe(0);
    expect(io.out).toMatch(/"webauthnKeys": 0/);
    const audit = readFileSync(join(cfg, '..', 'data', 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"type":"admin.webauthn-keys-removed".*"removed":\["a2V5LW9uZQ"\]/);
    expect(audit).toMatch(/"removed":\["a2V5LXR3bw","a2V5LXRocmVl"\],"left":0/);
    expect(await main(['--config', cfg, 'audit', 'verify'])).toBe(0);
    expect(await main(['--help'])).toBe(0);
    expect(io.out).toMatch(/users keys list --user <name>/);
    expect(io.out).toMatch(/users keys remove --user <name> \(--id <credential id> \| --all\)/);
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
      const io = captureOutput();
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

describe('gateway CLI: users keys against a running gateway', () => {
  it('lists a key registered over FIX and removes it from the live directory: a step-up already offering it refuses it at once; saved and audited', async () => {
    const { startTestGateway, loggedIn, freshTotp } = await import('./session/test-gateway.ts');
    const { MSG, TAG, keyRegistrationRequestFields, readKeyRegistrationResult, readStepUpChallenge, readStepUpResult, stepUpResponseFields } = await import('../fix/parley-protocol.ts');
    const { SoftAuthenticator } = await import('./testing/soft-authenticator.ts');
    const t = await startTestGateway({}, { memoryStores: true, users: ['erin', 'frank'] });
    try {
      const cfg = join(t.dir, 'cli.json');
      writeFileSync(cfg, JSON.stringify({ dataDir: t.gw.cfg.paths.dataDir }));
      // Register a real key over FIX (after the logon's TOTP step-up).
      const c = await loggedIn(t, 'erin');
      const key = new SoftAuthenticator({ origin: 'https://localhost' });
      c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'K-1', stage: 'begin' }));
      const opts = readKeyRegistrationResult(await c.waitFor(MSG.KeyRegistrationResult, (m) => m.get(TAG.RequestID) === 'K-1'));
      c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'K-1', stage: 'finish', webauthnResponse: JSON.stringify(key.register(JSON.parse(opts.webauthnOptions!) as { challenge: string; rp: { id: string } })) }));
      await c.waitFor(MSG.KeyRegistrationResult, (m) => m.get(TAG.RequestID) === 'K-1' && m.get(TAG.KeyRegStatus) !== undefined && readKeyRegistrationResult(m).status === 'registered');
      await c.close();
      const frank = await loggedIn(t, 'frank');

      const io = captureOutput();
      expect(await main(['--config', cfg, 'users', 'keys', 'list', '--user', 'erin'])).toBe(0);
      const listed = JSON.parse(io.out.slice(io.out.indexOf('['))) as { id: string; createdAt: string; counter: number }[];
      expect(listed).toHaveLength(1);
      expect(listed[0]!.id).toBe(key.credentialId);
      expect(Date.parse(listed[0]!.createdAt)).toBeGreaterThan(Date.now() - 600_000);

      // A new logon is offered the key; IT removes it before the answer arrives; the answer with it is refused.
      const again = await t.connect('erin');
      const ch = readStepUpChallenge(await again.waitFor(MSG.StepUpChallenge));
      expect(ch.methods).toContain('webauthn');
      expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'erin', '--id', 'bm9uZQ'])).toBe(1);
      expect(io.err).toMatch(/erin has no security key bm9uZQ/);
      expect(await main(['--config', cfg, 'users', 'keys', 'list', '--user', 'nobody'])).toBe(1);
      expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'erin', '--id', key.credentialId])).toBe(0);
      expect(io.out).toMatch(/removed 1 security key\(s\) of erin in the running gateway/);
      expect(t.gw.users.get('erin')?.webauthnCredentials).toEqual([]);
      again.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(key.authenticate(JSON.parse(ch.webauthnOptions!) as { challenge: string; rpId?: string })) }));
      expect(readStepUpResult(await again.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'failed', text: expect.stringMatching(/unknown security key/) });
      // TOTP still works, and the next challenge no longer offers a key.
      again.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users.erin!) }));
      await again.waitFor(MSG.StepUpResult, (m) => readStepUpResult(m).result === 'success');
      await again.close();
      const third = await t.connect('erin');
      expect(readStepUpChallenge(await third.waitFor(MSG.StepUpChallenge)).methods).toEqual(['totp']);
      await third.close();
      // Other sessions were not touched; the removal is saved and audited by the gateway.
      expect(await main(['--config', cfg, 'sessions', 'list'])).toBe(0);
      expect(io.out).toMatch(/"user": "frank"/);
      expect(await main(['--config', cfg, 'users', 'keys', 'remove', '--user', 'erin', '--all'])).toBe(0);
      expect(io.out).toMatch(/removed 0 security key\(s\) of erin in the running gateway: \(none registered\); 0 left/);
      vi.restoreAllMocks();
      const saved = JSON.parse(readFileSync(t.gw.cfg.paths.users, 'utf8')) as { users: { username: string; webauthnCredentials: unknown[] }[] };
      expect(saved.users.find((u) => u.username === 'erin')?.webauthnCredentials).toEqual([]);
      const auditText = readFileSync(t.gw.cfg.paths.audit, 'utf8');
      expect(auditText).toMatch(new RegExp(`"type":"admin.webauthn-keys-removed".*"removed":\\["${key.credentialId}"\\]`));
      await frank.close();
    } finally {
      vi.restoreAllMocks();
      await t.close();
    }
  });
});

describe('gateway CLI: passwords never on the command line (issue 10 item 11)', () => {
  it('refuses --password (exit 2, nothing written); reads --password-file and --password-stdin', async () => {
    const { spawnSync } = await import('node:child_process');
    const { verifyPassword } = await import('./identity/directory.ts');
    const io = captureOutput();
    const cfg = tmpConfig();
    const users = join(cfg, '..', 'data', 'users.json');
    const hashOf = (name: string) => (JSON.parse(readFileSync(users, 'utf8')) as { users: { username: string; passwordHash: string }[] }).users.find((u) => u.username === name)?.passwordHash ?? '';
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader', '--password', 'pat-password'])).toBe(2);
    expect(io.err).toMatch(/--password is not accepted/);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader', '--password=pat-password'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader'])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader', '--password-stdin', '--password-file', passwordFile('pat-password')])).toBe(2);
    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader', '--password-file', join(cfg, '..', 'missing')])).toBe(2);
    expect(() => readFileSync(users)).toThrow();

    expect(await main(['--config', cfg, 'users', 'add', '--user', 'pat', '--role', 'Trader', '--password-file', passwordFile('pat-password')])).toBe(0);
    expect(await verifyPassword(hashOf('pat'), 'pat-password')).toBe(true);
    expect(await main(['--config', cfg, 'users', 'set-password', '--user', 'pat', '--password', 'new-password'])).toBe(2);
    expect(await verifyPassword(hashOf('pat'), 'pat-password')).toBe(true);
    vi.restoreAllMocks();

    // Standard input, as a script pipes it (a real child process: its own stdin, nothing on its command line).
    const child = (args: string[], input: string) => spawnSync('bash', ['scripts/node.sh', 'gateway/cli.ts', '--config', cfg, ...args], { input, encoding: 'utf8' });
    const set = child(['users', 'set-password', '--user', 'pat', '--password-stdin'], 'stdin-password\n');
    expect(set.status, set.stderr).toBe(0);
    expect(await verifyPassword(hashOf('pat'), 'stdin-password')).toBe(true);
    const add = child(['users', 'add', '--user', 'quinn', '--role', 'Trader', '--password-stdin'], 'quinn-password');
    expect(add.status, add.stderr).toBe(0);
    expect(await verifyPassword(hashOf('quinn'), 'quinn-password')).toBe(true);
    expect(child(['users', 'add', '--user', 'ron', '--role', 'Trader', '--password-stdin'], 'short\n').status).toBe(1);
    // Repeatable options repeat (two CompIDs); a non-repeatable one given twice is a usage error.
    expect(child(['users', 'add', '--user', 'mo', '--role', 'Trader', '--compid', 'MO1', '--compid', 'MO2', '--password-stdin'], 'mo-password').status).toBe(0);
    expect((JSON.parse(readFileSync(users, 'utf8')) as { users: { username: string; compIds: string[] }[] }).users.find((u) => u.username === 'mo')?.compIds).toEqual(['MO1', 'MO2']);
    expect(child(['tokens', 'issue', '--user', 'mo', '--compid', 'MO1', '--compid', 'MO2'], '').status).toBe(2);
    // The audit chain never holds a password.
    expect(readFileSync(join(cfg, '..', 'data', 'audit.jsonl'), 'utf8')).not.toMatch(/pat-password|stdin-password|quinn-password/);
  });
});

/** Runs a command on a real pseudo-terminal (Python's pty), types PW once the prompt shows, returns all it printed. */
const DRIVE_TTY = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while b'password: ' not in out:
    chunk = os.read(fd, 1024)
    if not chunk: break
    out += chunk
os.write(fd, os.environ['PW'].encode() + b'\\r')
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

describe('gateway CLI: a password typed at a terminal', () => {
  it('--password-stdin on a terminal prompts with echo off', async () => {
    const { spawnSync } = await import('node:child_process');
    const { verifyPassword } = await import('./identity/directory.ts');
    const cfg = tmpConfig();
    const driver = join(cfg, '..', 'drive_tty.py');
    writeFileSync(driver, DRIVE_TTY);
    const r = spawnSync('python3', [driver, 'bash', 'scripts/node.sh', 'gateway/cli.ts', '--config', cfg, 'users', 'add', '--user', 'tess', '--role', 'Trader', '--password-stdin'],
      { encoding: 'utf8', env: { ...process.env, PW: 'typed-password' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('password: ');
    expect(r.stdout).toContain('user tess (Trader) added');
    expect(r.stdout).not.toContain('typed-password');
    const users = JSON.parse(readFileSync(join(cfg, '..', 'data', 'users.json'), 'utf8')) as { users: { username: string; passwordHash: string }[] };
    expect(await verifyPassword(users.users.find((u) => u.username === 'tess')!.passwordHash, 'typed-password')).toBe(true);
  });
});

describe('gateway CLI: the admin contract on both sides of the socket', () => {
  it('validates arguments before sending (nothing sent) and the answer when it comes back', async () => {
    const { AdminServer } = await import('./admin/channel.ts');
    const { loadConfig } = await import('./config.ts');
    const cfg = tmpConfig();
    const path = loadConfig(cfg).paths.adminSocket;
    const { mkdirSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    mkdirSync(dirname(path), { recursive: true });
    // A stand-in "gateway" answering outside the contract, recording what reaches it.
    const seen: string[] = [];
    const srv = await AdminServer.listen(path, (cmd) => {
      seen.push(cmd);
      if (cmd === 'users.list') return [{ username: 'x', role: 'Trader', secretHash: 'leak' }];
      if (cmd === 'sessions.list') return 'not a list';
      return { ended: [] };
    });
    try {
      const io = captureOutput();
      expect(await main(['--config', cfg, 'users', 'list'])).toBe(1);
      expect(io.err).toMatch(/users\.list produced a result outside the admin contract/);
      expect(io.out).not.toMatch(/leak/);
      expect(await main(['--config', cfg, 'sessions', 'list'])).toBe(1);
      expect(await main(['--config', cfg, 'tokens', 'issue', '--user', 'bad name!'])).toBe(2);
      expect(io.err).toMatch(/user: 1-64 characters/);
      expect(await main(['--config', cfg, 'certs', 'revoke', '--serial', 'zz-not-hex'])).toBe(2);
      expect(await main(['--config', cfg, 'sessions', 'kill', '--id', 'x'.repeat(300)])).toBe(2);
      expect(seen).toEqual(['users.list', 'sessions.list']);
    } finally {
      vi.restoreAllMocks();
      await srv.close();
    }
  });
});
