/**
 * `npm run gateway -- …`: runs the gateway, or administers it.
 * Exit codes: 0 done, 1 the operation failed, 2 usage error, 3 bad configuration or startup failure,
 * 4 the command needs a running gateway and none answers.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AdminError, adminCall } from './admin/channel.ts';
import { KeyAdminError, listKeys, removeKeys, type RemoveTarget } from './admin/keys.ts';
import { AuditLog, verifyAuditLog } from './audit/log.ts';
import { ConfigError, loadConfig, parseConfig, type GatewayConfig } from './config.ts';
import { GatewayCa } from './enroll/ca.ts';
import { CertRegistry } from './enroll/registry.ts';
import { TokenStore } from './enroll/tokens.ts';
import { hashPassword, ROLES, UserDirectory, type Role, type User } from './identity/directory.ts';
import { newTotpSecret, totpUri } from './mfa/totp.ts';
import { Gateway } from './server.ts';

const HELP = `Parley gateway

Run:
  npm run gateway -- [--config <file>]            start the gateway (default config: embedded defaults,
                                                  data in ./.data/gateway; see gateway/example/gateway.json)
Administer (add --config <file> to name the same config the gateway runs with):
  users list
  users add --user <name> --role <role> --compid <CompID> [--password-stdin | --password <pw>]
            [--country <CC> ...] [--privileged] [--cert-subject <DN>]
  users set-password --user <name> (--password-stdin | --password <pw>)
  users enroll-totp --user <name>                 new TOTP secret; prints the otpauth:// URI once
  users disable|enable --user <name>
  users keys list --user <name>                   security keys: id, registered, counter, transports, last used
  users keys remove --user <name> (--id <credential id> | --all)
                                                  the next step-up refuses the key at once; a session that used
                                                  it keeps running to its max age unless you also sessions kill
  tokens issue --user <name> [--compid <CompID>] [--ttl <30m|24h|7d>]   one-time enrollment token, printed once
  tokens list
  tokens revoke --id <token id>
  certs list                                      certificates issued by enrollment
  revoke --serial <hex> [--reason <text>]         revoke a client certificate (CRL + live sessions ended)
  sessions list
  sessions kill (--id <session id> | --user <name>) [--reason <text>]
  policy reload                                   re-read the Cedar policy without dropping sessions (or SIGHUP)
  audit verify [--file <audit.jsonl>]             check the hash chain; exit 1 on any edited/removed/reordered line
  status

Roles: ${ROLES.join(', ')}
Exit codes: 0 ok, 1 failed, 2 usage, 3 configuration/startup, 4 gateway not running.`;

class UsageError extends Error {}
class Failure extends Error {}

type Args = { positional: string[]; flags: Map<string, string[]> };
const BOOLEAN = new Set(['help', 'password-stdin', 'privileged', 'json', 'all']);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h') { flags.set('help', ['']); continue; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`bad option ${a}`);
    let value = '';
    if (eq > 0) value = a.slice(eq + 1);
    else if (!BOOLEAN.has(name)) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags };
}

function one(a: Args, name: string, required = false): string | undefined {
  const v = a.flags.get(name);
  if (!v) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (v.length > 1) throw new UsageError(`--${name} given more than once`);
  return v[0];
}

function config(a: Args): GatewayConfig {
  const file = one(a, 'config') ?? process.env.PARLEY_GATEWAY_CONFIG;
  return file ? loadConfig(file) : parseConfig({}, '<inline>');
}

export function parseDuration(s: string): number {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(s);
  if (!m) throw new UsageError(`bad duration ${s} (use e.g. 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

async function readPassword(a: Args): Promise<string> {
  let pw = one(a, 'password');
  if (a.flags.has('password-stdin')) {
    if (pw !== undefined) throw new UsageError('give --password or --password-stdin, not both');
    pw = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  }
  if (pw === undefined) throw new UsageError('--password-stdin (or --password) is required');
  if (pw.length < 8 || pw.length > 256) throw new Failure('the password must be 8 to 256 characters');
  return pw;
}

/** Admin actions are audited by the one process that appends to the chain: the gateway if it runs, else us. */
async function audit(cfg: GatewayConfig, type: string, data: Record<string, unknown>): Promise<void> {
  try {
    await adminCall(cfg.paths.adminSocket, 'audit', { type, data }, 5_000);
  } catch (e) {
    if (!(e instanceof AdminError) || !/not running/.test(e.message)) throw e;
    const log = await AuditLog.open(cfg.paths.audit);
    try { await log.append(type, data); } finally { await log.close(); }
  }
}

/** Tells a running gateway to re-read something; silently nothing when no gateway runs. */
async function notify(cfg: GatewayConfig, cmd: string): Promise<void> {
  try { await adminCall(cfg.paths.adminSocket, cmd, {}, 5_000); } catch (e) { if (!(e instanceof AdminError) || !/not running/.test(e.message)) throw e; }
}

async function live(cfg: GatewayConfig, cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
  try {
    return await adminCall(cfg.paths.adminSocket, cmd, args);
  } catch (e) {
    if (e instanceof AdminError && /not running/.test(e.message)) { const err = new Failure(e.message); (err as Failure & { code?: number }).code = 4; throw err; }
    if (e instanceof AdminError) throw new Failure(e.message);
    throw e;
  }
}

async function directory(cfg: GatewayConfig): Promise<UserDirectory> {
  mkdirSync(dirname(cfg.paths.users), { recursive: true, mode: 0o700 });
  try {
    return await UserDirectory.load(cfg.paths.users);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT/.test((e as Error).message)) return UserDirectory.empty(cfg.paths.users);
    throw e;
  }
}

function mustUser(dir: UserDirectory, name: string): User {
  const u = dir.get(name);
  if (!u) throw new Failure(`no user ${name} in ${dir instanceof UserDirectory ? 'the directory' : ''}`.trim());
  return u;
}

function print(v: unknown): void {
  process.stdout.write(`${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);
}

async function users(cfg: GatewayConfig, sub: string | undefined, a: Args): Promise<void> {
  const dir = await directory(cfg);
  switch (sub) {
    case 'list':
      print(dir.list().map((u) => ({ username: u.username, role: u.role, privileged: u.privileged, compIds: u.compIds, totp: Boolean(u.totpSecret), webauthnKeys: u.webauthnCredentials.length, expectedCountries: u.expectedCountries, disabled: u.disabled ?? false })));
      return;
    case 'add': {
      const username = one(a, 'user', true)!;
      const role = one(a, 'role', true)!;
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of: ${ROLES.join(', ')}`);
      if (dir.get(username)) throw new Failure(`user ${username} already exists`);
      const compIds = a.flags.get('compid') ?? [username.toUpperCase()];
      const user: User = {
        username, role: role as Role, privileged: a.flags.has('privileged'), passwordHash: await hashPassword(await readPassword(a)),
        webauthnCredentials: [], expectedCountries: (a.flags.get('country') ?? []).map((c) => c.toUpperCase()),
        certSubjects: a.flags.get('cert-subject') ?? [], compIds,
      };
      try { dir.upsert(user); } catch (e) { throw new Failure((e as Error).message); }
      await dir.save();
      await audit(cfg, 'admin.user-added', { username, role, compIds, privileged: user.privileged });
      await notify(cfg, 'users.reload');
      print(`user ${username} (${role}) added with CompID ${compIds.join(', ')}`);
      return;
    }
    case 'set-password': {
      const u = mustUser(dir, one(a, 'user', true)!);
      dir.upsert({ ...u, passwordHash: await hashPassword(await readPassword(a)) });
      await dir.save();
      await audit(cfg, 'admin.password-set', { username: u.username });
      await notify(cfg, 'users.reload');
      print(`password of ${u.username} changed`);
      return;
    }
    case 'enroll-totp': {
      const u = mustUser(dir, one(a, 'user', true)!);
      const secret = newTotpSecret();
      dir.upsert({ ...u, totpSecret: secret });
      await dir.save();
      await audit(cfg, 'admin.totp-enrolled', { username: u.username });
      await notify(cfg, 'users.reload');
      print({ username: u.username, secret, uri: totpUri(u.username, secret) });
      return;
    }
    case 'disable':
    case 'enable': {
      const u = mustUser(dir, one(a, 'user', true)!);
      dir.upsert({ ...u, disabled: sub === 'disable' });
      await dir.save();
      await audit(cfg, `admin.user-${sub}d`, { username: u.username });
      await notify(cfg, 'users.reload');
      if (sub === 'disable') await live(cfg, 'sessions.kill', { user: u.username, reason: 'user disabled' }).catch(() => {});
      print(`user ${u.username} ${sub}d`);
      return;
    }
    case 'keys':
      await keys(cfg, dir, a);
      return;
    default:
      throw new UsageError(`unknown users command ${sub ?? '(none)'}: list, add, set-password, enroll-totp, disable, enable, keys`);
  }
}

/** Asks the running gateway (its live directory); null when none runs, so the caller works on the file. */
async function liveOrNull(cfg: GatewayConfig, cmd: string, args: Record<string, unknown>): Promise<unknown> {
  try {
    return await adminCall(cfg.paths.adminSocket, cmd, args);
  } catch (e) {
    if (e instanceof AdminError && /not running/.test(e.message)) return null;
    if (e instanceof AdminError) throw new Failure(e.message);
    throw e;
  }
}

async function keys(cfg: GatewayConfig, fileDir: UserDirectory, a: Args): Promise<void> {
  const op = a.positional[a.positional[0] === 'admin' ? 3 : 2];
  const username = one(a, 'user', true)!;
  try {
    switch (op) {
      case 'list': {
        const live = await liveOrNull(cfg, 'users.keys.list', { user: username });
        print(live ?? listKeys(fileDir, username));
        return;
      }
      case 'remove': {
        const id = one(a, 'id');
        const all = a.flags.has('all');
        if (all === (id !== undefined)) throw new UsageError('users keys remove needs --id <credential id> or --all (one of them)');
        const target: RemoveTarget = all ? { username, all: true } : { username, id: id! };
        let r = await liveOrNull(cfg, 'users.keys.remove', all ? { user: username, all: true } : { user: username, id }) as { username: string; removed: string[]; left: number } | null;
        let where = 'in the running gateway';
        if (r === null) {
          r = removeKeys(fileDir, target);
          await fileDir.save();
          await audit(cfg, 'admin.webauthn-keys-removed', { username: r.username, removed: r.removed, left: r.left, by: 'admin-cli (gateway not running)' });
          where = `in ${cfg.paths.users} (the gateway is not running)`;
        }
        print(`removed ${r.removed.length} security key(s) of ${r.username} ${where}: ${r.removed.join(', ') || '(none registered)'}; ${r.left} left. ` +
          `Sessions that stepped up with them keep running until their max age; end them now with \`sessions kill --user ${r.username}\`.`);
        return;
      }
      default:
        throw new UsageError(`unknown users keys command ${op ?? '(none)'}: list, remove`);
    }
  } catch (e) {
    if (e instanceof KeyAdminError) throw new Failure(e.message);
    throw e;
  }
}

async function tokens(cfg: GatewayConfig, sub: string | undefined, a: Args): Promise<void> {
  const store = TokenStore.open(cfg.paths.tokens);
  switch (sub) {
    case 'issue': {
      const dir = await directory(cfg);
      const u = mustUser(dir, one(a, 'user', true)!);
      const compId = one(a, 'compid') ?? u.compIds[0];
      if (!compId || !u.compIds.includes(compId)) throw new Failure(`CompID ${compId ?? '(none)'} is not one of ${u.username}'s (${u.compIds.join(', ')})`);
      const ttlMs = parseDuration(one(a, 'ttl') ?? '24h');
      const { token, record } = store.issue({ user: u.username, compId, ttlMs, createdBy: process.env.USER ?? 'admin' });
      await audit(cfg, 'admin.token-issued', { id: record.id, user: u.username, compId, expiresAt: record.expiresAt });
      print({ token, id: record.id, user: u.username, compId, expiresAt: record.expiresAt });
      return;
    }
    case 'list':
      print(store.list());
      return;
    case 'revoke': {
      const id = one(a, 'id', true)!;
      if (!store.revoke(id)) throw new Failure(`no unused token ${id}`);
      await audit(cfg, 'admin.token-revoked', { id });
      print(`token ${id} revoked`);
      return;
    }
    default:
      throw new UsageError(`unknown tokens command ${sub ?? '(none)'}: issue, list, revoke`);
  }
}

async function revoke(cfg: GatewayConfig, a: Args): Promise<void> {
  const serial = one(a, 'serial', true)!;
  const reason = one(a, 'reason') ?? 'unspecified';
  if (!/^[0-9a-fA-F:]{1,64}$/.test(serial)) throw new UsageError('--serial must be the certificate serial number in hex');
  try {
    const r = await adminCall(cfg.paths.adminSocket, 'revoke', { serial, reason }) as { ended: string[] };
    print(`certificate ${serial} revoked; CRL updated; ${r.ended.length} live session(s) ended`);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    if (!/not running/.test(e.message)) throw new Failure(e.message);
    const ca = await GatewayCa.load(readFileSync(cfg.paths.caCert, 'utf8'), readFileSync(cfg.paths.caKey, 'utf8'));
    const reg = new CertRegistry({ issued: cfg.paths.issued, revoked: cfg.paths.revoked, crl: cfg.paths.crl });
    await reg.revoke(ca, serial, reason, process.env.USER ?? 'admin');
    await audit(cfg, 'cert.revoked', { serial, reason, by: 'admin-cli (gateway not running)' });
    print(`certificate ${serial} revoked; CRL ${cfg.paths.crl} updated (the gateway is not running)`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (a.flags.has('help') || a.positional[0] === 'help') { print(HELP); return 0; }
  const pos = a.positional[0] === 'admin' ? a.positional.slice(1) : a.positional;
  const [group, sub] = pos;
  let cfg: GatewayConfig;
  try {
    cfg = config(a);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 3;
  }
  try {
    switch (group) {
      case undefined:
      case 'run':
        return await run(cfg);
      case 'users': await users(cfg, sub, a); return 0;
      case 'tokens': await tokens(cfg, sub, a); return 0;
      case 'revoke': await revoke(cfg, a); return 0;
      case 'certs': {
        if (sub !== 'list') throw new UsageError('certs: list');
        const reg = new CertRegistry({ issued: cfg.paths.issued, revoked: cfg.paths.revoked, crl: null });
        print(reg.listIssued().map((c) => ({ ...c, revoked: reg.isRevoked(c.serial) })));
        return 0;
      }
      case 'sessions':
        if (sub === 'list') { print(await live(cfg, 'sessions.list')); return 0; }
        if (sub === 'kill') {
          const id = one(a, 'id');
          const user = one(a, 'user');
          if (!id && !user) throw new UsageError('sessions kill needs --id or --user');
          const ended = await live(cfg, 'sessions.kill', { ...(id ? { id } : {}), ...(user ? { user } : {}), reason: one(a, 'reason') ?? 'ended by an administrator' }) as string[];
          if (ended.length === 0) throw new Failure('no matching live session');
          print(`ended ${ended.length} session(s): ${ended.join(', ')}`);
          return 0;
        }
        throw new UsageError('sessions: list, kill');
      case 'policy':
        if (sub !== 'reload') throw new UsageError('policy: reload');
        print(await live(cfg, 'policy.reload'));
        return 0;
      case 'audit': {
        if (sub !== 'verify') throw new UsageError('audit: verify');
        const file = resolve(one(a, 'file') ?? cfg.paths.audit);
        const r = await verifyAuditLog(file);
        if (r.ok) { print(`${file}: OK, ${r.lines} entries, hash chain intact`); return 0; }
        process.stderr.write(`${file}: TAMPERED at line ${r.line}: ${r.reason}\n`);
        return 1;
      }
      case 'status':
        print(await live(cfg, 'status'));
        return 0;
      default:
        throw new UsageError(`unknown command ${group}`);
    }
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`${e.message}\n(see --help)\n`); return 2; }
    if (e instanceof ConfigError) { process.stderr.write(`${e.message}\n`); return 3; }
    const code = (e as { code?: unknown }).code;
    process.stderr.write(`${(e as Error).message}\n`);
    return typeof code === 'number' ? code : 1;
  }
}

async function run(cfg: GatewayConfig): Promise<number> {
  let gw: Gateway;
  try {
    gw = await Gateway.start(cfg);
  } catch (e) {
    process.stderr.write(`gateway: cannot start: ${(e as Error).message}\n`);
    return 3;
  }
  const p = cfg.paths;
  process.stdout.write([
    `Parley gateway running (config: ${cfg.source})`,
    `  FIX 4.4 over mutual TLS   127.0.0.1:${gw.fixPort}   TargetCompID ${cfg.fix.compId}`,
    `  enrollment (HTTPS)        https://127.0.0.1:${gw.enrollPort}/v1/enroll`,
    `  CA certificate            ${p.caCert}`,
    `  admin socket              ${p.adminSocket}`,
    `  audit log                 ${p.audit}`,
    `  policy                    ${p.policyDir} (${gw.policy.mode})`,
    '',
  ].join('\n'));
  // A bug in one session's handling must not take the gateway (and every other session) down.
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`gateway: unhandled rejection: ${(e as Error)?.stack ?? String(e)}\n`);
    gw.audit.event('gateway.internal-error', { error: String((e as Error)?.message ?? e) });
  });
  process.on('SIGHUP', () => {
    void (async () => {
      const r = await gw.reloadPolicy('SIGHUP');
      process.stdout.write(r.ok ? `gateway: policy reloaded (${r.policies} policies)\n` : `gateway: policy reload failed, previous policy kept: ${r.error}\n`);
      try { await gw.reloadUsers('SIGHUP'); } catch (e) { process.stdout.write(`gateway: user directory reload failed: ${(e as Error).message}\n`); }
    })();
  });
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('gateway: stopping\n');
  await gw.close();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gateway/cli.ts')) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
}
