/**
 * The one typed contract of the admin channel, built like main/ipc/contract.ts: every command has a zod schema
 * for its arguments and one for its result, and every failure carries a structured error code. The admin CLI
 * validates a request before it sends it and the answer when it comes back; the gateway validates the request
 * on receipt and its own result before answering. With no gateway running the CLI runs the same handlers
 * in-process against the files, through the same validation (dispatch.ts).
 *
 * Pure zod, no Node imports. Objects are strict and strings/arrays bounded: whatever arrives on the socket is
 * treated as hostile, even though only the gateway's own OS user can reach it.
 *
 * There is deliberately no command that appends an arbitrary event to the audit chain (issue 10 item 12): each
 * handler audits what it did itself, with data it built.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Errors

export const AdminErrorCodeSchema = z.enum([
  /** No gateway answers on the admin socket (the CLI exits 4 for commands that need one). */
  'not-running',
  /** The frame is not a request: not JSON, not an object, oversized. */
  'malformed-request',
  'unknown-command',
  /** The arguments do not fit the command's schema. */
  'invalid-arguments',
  /** A user, key, token, certificate or session that does not exist. */
  'not-found',
  /** The operation was refused as asked (already exists, password policy, CompID not the user's...). */
  'refused',
  /** The handler produced a result outside the contract (a bug on the answering side). */
  'invalid-response',
  /** The gateway did not answer in time, or answered something unreadable. */
  'no-answer',
  'internal',
]);
export type AdminErrorCode = z.infer<typeof AdminErrorCodeSchema>;

export class AdminFailure extends Error {
  override name = 'AdminFailure';
  readonly code: AdminErrorCode;
  constructor(code: AdminErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks (the same bounds as the user directory and the registry enforce)

const text = (max = 2_000) => z.string().max(max);
export const UsernameSchema = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, '1-64 characters of A-Z a-z 0-9 . _ @ -');
export const CompIdSchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'printable ASCII without spaces, 1-64 characters');
export const RoleSchema = z.enum(['Trader', 'Quant Analyst', 'Risk Officer', 'IT Admin', 'service account', 'Order Flow Engine', 'Analytics Service']);
/** A certificate serial as openssl prints it: hex, optionally with colons. */
export const SerialSchema = z.string().regex(/^[0-9a-fA-F:]{1,64}$/, 'the certificate serial number in hex');
const Reason = z.string().min(1).max(200);
const Instant = z.iso.datetime({ offset: true });
const Empty = z.strictObject({});
const Names = z.array(z.string().max(1_400)).max(10_000);

const KeyView = z.strictObject({
  id: z.string().max(1_400), createdAt: Instant.nullable(), counter: z.number().int().nonnegative(),
  transports: z.array(text(32)).max(64), lastUsedAt: Instant.nullable(),
});
const UserView = z.strictObject({
  username: UsernameSchema, role: RoleSchema, privileged: z.boolean(), compIds: z.array(CompIdSchema).max(64),
  totp: z.boolean(), webauthnKeys: z.number().int().nonnegative(), expectedCountries: z.array(text(2)).max(64), disabled: z.boolean(),
});
const TokenView = z.strictObject({
  id: text(64), user: UsernameSchema, compId: CompIdSchema, createdAt: Instant, expiresAt: Instant,
  /** An instant, or `revoked:<instant>` for a revoked token. */
  usedAt: text(100).nullable(), createdBy: text(200),
});
/** The registry's records grow fields (renewal chains): the known core is checked, the rest kept. */
const CertView = z.looseObject({
  serial: text(64), user: text(64), compId: text(64), subject: text(1_000), notAfter: text(64), issuedAt: text(64),
  fingerprint256: text(200), via: z.enum(['enroll', 'renew', 'import']), revoked: z.boolean(),
});
/** Sessions and status come from the session layer, which grows fields: the known core is checked, the rest kept. */
const SessionView = z.looseObject({ id: text(200), user: text(64) });
/** serials: every certificate the revocation covers (renewals included, already revoked ones too); newlyRevoked: those revoked now. */
const Revoked = z.strictObject({ serials: z.array(text(64)).max(10_000), newlyRevoked: z.array(text(64)).max(10_000), ended: Names, where: z.enum(['gateway', 'files']) });

// ---------------------------------------------------------------------------------------------------------
// Commands

type Command = {
  args: z.ZodType;
  result: z.ZodType;
  /** Only a running gateway can answer (live sessions, the policy it holds, its process). */
  needsGateway?: true;
  /** Argument fields never written to the audit line `admin.command`. */
  secret?: readonly string[];
};

export const commands = {
  status: {
    args: Empty, needsGateway: true,
    result: z.looseObject({ fixPort: z.number().int(), enrollPort: z.number().int(), sessions: z.number().int().nonnegative(), policyMode: text(32), pid: z.number().int() }),
  },

  'users.list': { args: Empty, result: z.array(UserView).max(100_000) },
  'users.add': {
    args: z.strictObject({
      user: UsernameSchema, role: RoleSchema, password: z.string().min(1).max(4_096),
      compIds: z.array(CompIdSchema).min(1).max(64).optional(), countries: z.array(z.string().regex(/^[A-Za-z]{2}$/, 'ISO 3166 alpha-2')).max(64).default([]),
      privileged: z.boolean().default(false), certSubjects: z.array(z.string().min(1).max(512)).max(64).default([]),
    }),
    result: z.strictObject({ username: UsernameSchema, role: RoleSchema, compIds: z.array(CompIdSchema) }),
    secret: ['password'],
  },
  'users.set-password': {
    args: z.strictObject({ user: UsernameSchema, password: z.string().min(1).max(4_096) }),
    result: z.strictObject({ username: UsernameSchema }),
    secret: ['password'],
  },
  'users.enroll-totp': {
    args: z.strictObject({ user: UsernameSchema }),
    result: z.strictObject({ username: UsernameSchema, secret: text(128), uri: text(1_000) }),
  },
  'users.set-disabled': {
    args: z.strictObject({ user: UsernameSchema, disabled: z.boolean() }),
    result: z.strictObject({ username: UsernameSchema, disabled: z.boolean(), sessionsEnded: Names }),
  },
  /** Re-reads users.json (someone edited it by hand); the CLI's own user commands never need it. */
  'users.reload': { args: Empty, needsGateway: true, result: z.strictObject({ users: z.number().int().nonnegative() }) },
  'users.keys.list': { args: z.strictObject({ user: UsernameSchema }), result: z.array(KeyView).max(64) },
  'users.keys.remove': {
    args: z.union([
      z.strictObject({ user: UsernameSchema, id: z.string().min(1).max(2_000) }),
      z.strictObject({ user: UsernameSchema, all: z.literal(true) }),
    ]),
    result: z.strictObject({ username: UsernameSchema, removed: z.array(z.string().max(1_400)).max(64), left: z.number().int().nonnegative(), where: z.enum(['gateway', 'files']) }),
  },

  'tokens.issue': {
    args: z.strictObject({ user: UsernameSchema, compId: CompIdSchema.optional(), ttlMs: z.number().int().min(1_000).max(90 * 86_400_000), createdBy: text(200) }),
    result: z.strictObject({ token: z.string().regex(/^pet_[A-Za-z0-9_-]{20,100}$/), id: text(64), user: UsernameSchema, compId: CompIdSchema, expiresAt: Instant }),
  },
  'tokens.list': { args: Empty, result: z.array(TokenView).max(100_000) },
  'tokens.revoke': { args: z.strictObject({ id: z.string().min(1).max(64) }), result: z.strictObject({ id: text(64) }) },

  'certs.list': { args: Empty, result: z.array(CertView).max(1_000_000) },
  'certs.revoke': {
    args: z.union([
      z.strictObject({ serial: SerialSchema, reason: Reason.default('unspecified'), by: text(200) }),
      z.strictObject({ user: UsernameSchema, reason: Reason.default('unspecified'), by: text(200) }),
    ]),
    result: Revoked,
  },

  'sessions.list': { args: Empty, needsGateway: true, result: z.array(SessionView).max(100_000) },
  'sessions.kill': {
    args: z.union([
      z.strictObject({ id: z.string().min(1).max(200), reason: Reason.default('ended by an administrator') }),
      z.strictObject({ user: UsernameSchema, reason: Reason.default('ended by an administrator') }),
    ]),
    needsGateway: true,
    result: z.strictObject({ ended: Names }),
  },

  'policy.reload': { args: Empty, needsGateway: true, result: z.strictObject({ ok: z.literal(true), policies: z.number().int().nonnegative() }) },
} satisfies Record<string, Command>;

export type AdminCommand = keyof typeof commands;
export type AdminArgs<N extends AdminCommand> = z.input<(typeof commands)[N]['args']>;
export type ValidArgs<N extends AdminCommand> = z.output<(typeof commands)[N]['args']>;
export type AdminResult<N extends AdminCommand> = z.output<(typeof commands)[N]['result']>;

export function isAdminCommand(name: unknown): name is AdminCommand {
  return typeof name === 'string' && Object.hasOwn(commands, name);
}

export function needsGateway(name: AdminCommand): boolean {
  return (commands[name] as Command).needsGateway === true;
}

export function secretFields(name: AdminCommand): readonly string[] {
  return (commands[name] as Command).secret ?? [];
}

/** "user: 1-64 characters of ...; role: ..." — the field names of the contract, for the operator. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export function validateArgs<N extends AdminCommand>(name: N, raw: unknown): ValidArgs<N> {
  const r = commands[name].args.safeParse(raw ?? {});
  if (!r.success) throw new AdminFailure('invalid-arguments', `${name}: ${describeIssues(r.error)}`);
  return r.data as ValidArgs<N>;
}

export function validateResult<N extends AdminCommand>(name: N, raw: unknown): AdminResult<N> {
  const r = commands[name].result.safeParse(raw);
  if (!r.success) throw new AdminFailure('invalid-response', `${name} produced a result outside the admin contract: ${describeIssues(r.error)}`);
  return r.data as AdminResult<N>;
}

// ---------------------------------------------------------------------------------------------------------
// Frames: one JSON object per line each way

export const MAX_FRAME_BYTES = 64 * 1024;

export const RequestFrameSchema = z.strictObject({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  cmd: z.string().min(1).max(64),
  args: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

export const AnswerFrameSchema = z.union([
  z.strictObject({ id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ id: z.number().int().nullable(), ok: z.literal(false), error: z.strictObject({ code: AdminErrorCodeSchema, message: text(4_000) }) }),
]);
export type AnswerFrame = z.infer<typeof AnswerFrameSchema>;
