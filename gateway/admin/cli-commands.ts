/**
 * The admin CLI's command table: for each command line (`users keys remove ...`), its options for node:util
 * parseArgs, how they become the contract's arguments, and how the result is printed. Running a contract
 * command is left to `env.execute` (cli.ts): validated here before it is sent, over the admin channel to a
 * running gateway, else the same handler in-process on the files.
 *
 * Passwords are never taken on the command line (every local user sees arguments in ps): `--password-stdin`
 * (typed with echo off on a terminal) or `--password-file <file>` only.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParseArgsOptionsConfig } from 'node:util';
import { verifyAuditLog } from '../audit/log.ts';
import type { GatewayConfig } from '../config.ts';
import type { AdminArgs, AdminCommand, AdminResult } from './contract.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;
export type Where = 'gateway' | 'files';

export interface CliEnv {
  cfg: GatewayConfig;
  execute<N extends AdminCommand>(cmd: N, args: AdminArgs<N>): Promise<{ result: AdminResult<N>; where: Where }>;
  print(v: unknown): void;
  error(line: string): void;
  /** A password from standard input: typed with echo off on a terminal, else read to the end (password.ts). */
  stdinPassword(): Promise<string>;
}

export interface CliCommand {
  words: readonly string[];
  synopsis: string;
  about?: string;
  options: ParseArgsOptionsConfig;
  /** Resolves with the exit code (0 when nothing is returned). */
  run(v: Values, env: CliEnv): Promise<number | void>;
}

const S = { type: 'string' } as const;
const M = { type: 'string', multiple: true } as const;
const B = { type: 'boolean' } as const;
const PASSWORD = { 'password-stdin': B, 'password-file': S } as const;

export function str(v: Values, name: string, required = false): string | undefined {
  const x = v[name];
  if (x === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  return String(x);
}
const list = (v: Values, name: string): string[] | undefined => (v[name] as string[] | undefined);

export function parseDuration(s: string): number {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(s);
  if (!m) throw new UsageError(`bad duration ${s} (use e.g. 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * From a file (--password-file) or standard input (--password-stdin: typed with echo off on a terminal), one
 * trailing newline dropped. Always asked for explicitly, so a script never hangs at a prompt. The password rule
 * itself is the handler's.
 */
export async function readPassword(v: Values, env: CliEnv): Promise<string> {
  const file = str(v, 'password-file');
  if (v['password-stdin'] === true && file !== undefined) throw new UsageError('give --password-stdin or --password-file, not both');
  if (v['password-stdin'] !== true && file === undefined) {
    throw new UsageError('the password is read from standard input (--password-stdin) or a file (--password-file <file>), never from the command line');
  }
  let text: string;
  try {
    text = file !== undefined ? readFileSync(file, 'utf8') : await env.stdinPassword();
  } catch (e) {
    throw new UsageError(`cannot read the password from ${file ?? 'standard input'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}

function contract<N extends AdminCommand>(spec: Omit<CliCommand, 'run'> & {
  cmd: N;
  args(v: Values, env: CliEnv): AdminArgs<N> | Promise<AdminArgs<N>>;
  print?(r: AdminResult<N>, where: Where, env: CliEnv): unknown;
}): CliCommand {
  return {
    words: spec.words, synopsis: spec.synopsis, about: spec.about, options: spec.options,
    run: async (v, env) => {
      const { result, where } = await env.execute(spec.cmd, await spec.args(v, env));
      env.print(spec.print ? spec.print(result, where, env) : result);
    },
  };
}

const user = (v: Values) => ({ user: str(v, 'user', true)! });
const by = () => process.env.USER ?? 'admin';

function revokeCommand(words: string[], synopsis: string, about: string, allowUser: boolean): CliCommand {
  return contract({
    words, synopsis, about, cmd: 'certs.revoke', options: { serial: S, reason: S, ...(allowUser ? { user: S } : {}) },
    args: (v) => {
      const serial = str(v, 'serial');
      const name = str(v, 'user');
      if ((serial === undefined) === (name === undefined)) throw new UsageError(allowUser ? 'certs revoke needs --serial <hex> or --user <name> (one of them)' : '--serial is required');
      const reason = str(v, 'reason') ?? 'unspecified';
      return serial !== undefined ? { serial, reason, by: by() } : { user: name!, reason, by: by() };
    },
    print: (r, where, env) => {
      const crl = where === 'gateway' ? 'CRL updated' : `CRL ${env.cfg.paths.crl} updated (the gateway is not running)`;
      const tail = where === 'gateway' ? `; ${r.ended.length} live session(s) ended` : '';
      const already = r.serials.length - r.newlyRevoked.length;
      return `${r.serials.length === 1 ? `certificate ${r.serials[0]} revoked` : `revoked ${r.serials.length} certificate(s): ${r.serials.join(', ') || '(none issued)'}`}` +
        `${already > 0 ? ` (${already} of them already revoked)` : ''}; ${crl}${tail}`;
    },
  });
}

export const CLI_COMMANDS: readonly CliCommand[] = [
  contract({ words: ['users', 'list'], synopsis: '', options: {}, cmd: 'users.list', args: () => ({}) }),
  contract({
    words: ['users', 'add'], cmd: 'users.add',
    synopsis: '--user <name> --role <role> [--compid <CompID> ...] (--password-stdin | --password-file <file>)\n            [--country <CC> ...] [--privileged] [--cert-subject <DN> ...]',
    options: { user: S, role: S, compid: M, country: M, privileged: B, 'cert-subject': M, ...PASSWORD },
    args: async (v, env) => ({
      ...user(v), role: str(v, 'role', true)! as AdminArgs<'users.add'>['role'], password: await readPassword(v, env), compIds: list(v, 'compid'),
      countries: list(v, 'country') ?? [], privileged: v.privileged === true, certSubjects: list(v, 'cert-subject') ?? [],
    }),
    print: (r) => `user ${r.username} (${r.role}) added with CompID ${r.compIds.join(', ')}`,
  }),
  contract({
    words: ['users', 'set-password'], synopsis: '--user <name> (--password-stdin | --password-file <file>)', cmd: 'users.set-password',
    options: { user: S, ...PASSWORD }, args: async (v, env) => ({ ...user(v), password: await readPassword(v, env) }),
    print: (r) => `password of ${r.username} changed`,
  }),
  contract({ words: ['users', 'enroll-totp'], synopsis: '--user <name>', about: 'new TOTP secret; prints the otpauth:// URI once', options: { user: S }, cmd: 'users.enroll-totp', args: user }),
  ...(['disable', 'enable'] as const).map((w) => contract({
    words: ['users', w], synopsis: '--user <name>', about: w === 'disable' ? 'a disabled user\'s live sessions end at once' : undefined,
    options: { user: S }, cmd: 'users.set-disabled', args: (v) => ({ ...user(v), disabled: w === 'disable' }),
    print: (r) => `user ${r.username} ${w}d${r.sessionsEnded.length ? `; ${r.sessionsEnded.length} live session(s) ended` : ''}`,
  })),
  contract({ words: ['users', 'reload'], synopsis: '', about: 'the running gateway re-reads the user directory file', options: {}, cmd: 'users.reload', args: () => ({}) }),
  contract({
    words: ['users', 'keys', 'list'], synopsis: '--user <name>', about: 'security keys: id, registered, counter, transports, last used',
    options: { user: S }, cmd: 'users.keys.list', args: user,
  }),
  contract({
    words: ['users', 'keys', 'remove'], synopsis: '--user <name> (--id <credential id> | --all)', cmd: 'users.keys.remove',
    about: 'the next step-up refuses the key at once; a session that used\nit keeps running to its max age unless you also sessions kill',
    options: { user: S, id: S, all: B },
    args: (v) => {
      const id = str(v, 'id');
      const u = user(v);
      if ((v.all === true) === (id !== undefined)) throw new UsageError('users keys remove needs --id <credential id> or --all (one of them)');
      return id !== undefined ? { ...u, id } : { ...u, all: true };
    },
    print: (r, where, env) => `removed ${r.removed.length} security key(s) of ${r.username} ${where === 'gateway' ? 'in the running gateway' : `in ${env.cfg.paths.users} (the gateway is not running)`}: ` +
      `${r.removed.join(', ') || '(none registered)'}; ${r.left} left. ` +
      `Sessions that stepped up with them keep running until their max age; end them now with \`sessions kill --user ${r.username}\`.`,
  }),
  contract({
    words: ['tokens', 'issue'], synopsis: '--user <name> [--compid <CompID>] [--ttl <30m|24h|7d>]', about: 'one-time enrollment token, printed once',
    options: { user: S, compid: S, ttl: S }, cmd: 'tokens.issue',
    args: (v) => ({ ...user(v), compId: str(v, 'compid'), ttlMs: parseDuration(str(v, 'ttl') ?? '24h'), createdBy: by() }),
  }),
  contract({ words: ['tokens', 'list'], synopsis: '', options: {}, cmd: 'tokens.list', args: () => ({}) }),
  contract({
    words: ['tokens', 'revoke'], synopsis: '--id <token id>', options: { id: S }, cmd: 'tokens.revoke',
    args: (v) => ({ id: str(v, 'id', true)! }), print: (r) => `token ${r.id} revoked`,
  }),
  contract({ words: ['certs', 'list'], synopsis: '', about: 'certificates issued by enrollment', options: {}, cmd: 'certs.list', args: () => ({}) }),
  revokeCommand(['certs', 'revoke'], '(--serial <hex> | --user <name>) [--reason <text>]', 'revoke one certificate, or every one of a user (CRL + live sessions ended)', true),
  revokeCommand(['revoke'], '--serial <hex> [--reason <text>]', 'the same as certs revoke --serial', false),
  contract({ words: ['sessions', 'list'], synopsis: '', options: {}, cmd: 'sessions.list', args: () => ({}) }),
  contract({
    words: ['sessions', 'kill'], synopsis: '(--id <session id> | --user <name>) [--reason <text>]', options: { id: S, user: S, reason: S }, cmd: 'sessions.kill',
    args: (v) => {
      const id = str(v, 'id');
      const name = str(v, 'user');
      if ((id === undefined) === (name === undefined)) throw new UsageError('sessions kill needs --id or --user (one of them)');
      const reason = str(v, 'reason') ?? 'ended by an administrator';
      return id !== undefined ? { id, reason } : { user: name!, reason };
    },
    print: (r) => `ended ${r.ended.length} session(s): ${r.ended.join(', ')}`,
  }),
  contract({ words: ['policy', 'reload'], synopsis: '', about: 're-read the Cedar policy without dropping sessions (or SIGHUP)', options: {}, cmd: 'policy.reload', args: () => ({}) }),
  {
    // Reads the file only, the same whether a gateway runs or not: no contract command needed.
    words: ['audit', 'verify'], synopsis: '[--file <audit.jsonl>] [--key <key file>] [--checkpoints <file>]',
    about: 'check the keyed hash chain; exit 1 on any edited/removed/reordered line or a tail cut against the last checkpoint',
    options: { file: S, key: S, checkpoints: S },
    run: async (v, env) => {
      const p = env.cfg.paths;
      const file = resolve(str(v, 'file') ?? p.audit);
      // The configured key and checkpoints belong to the configured log; a copy elsewhere names its own (or sits beside them).
      const own = file === p.audit;
      const key = str(v, 'key') ?? (own && env.cfg.audit.keyFile !== null ? p.auditKey : undefined);
      const checkpoints = str(v, 'checkpoints') ?? (own ? p.auditCheckpoints : undefined);
      const r = await verifyAuditLog(file, { ...(key ? { keyFile: resolve(key) } : {}), ...(checkpoints ? { checkpointFile: resolve(checkpoints) } : {}) });
      if (r.ok) { env.print(`${file}: OK, ${r.lines} entries, hash chain intact`); return 0; }
      env.error(`${file}: TAMPERED at line ${r.line}: ${r.reason}`);
      return 1;
    },
  },
  contract({ words: ['status'], synopsis: '', options: {}, cmd: 'status', args: () => ({}) }),
];

/** Every option any command takes, for the first pass over the command line (before the command is known). */
export const GLOBAL_OPTIONS = { config: S, help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsOptionsConfig;

export function usageLines(): string[] {
  return CLI_COMMANDS.map((c) => {
    const head = `  ${[...c.words, c.synopsis].filter(Boolean).join(' ')}`;
    if (!c.about) return head;
    const [first, ...rest] = c.about.split('\n');
    const pad = ' '.repeat(50);
    return head.length < 49 && !head.includes('\n')
      ? [`${head.padEnd(50)}${first}`, ...rest.map((l) => pad + l)].join('\n')
      : [head, ...[first, ...rest].map((l) => pad + l)].join('\n');
  });
}
