/**
 * The user directory: one JSON file `{ "users": [ User, ... ] }` that IT edits (or the admin CLI writes).
 *
 * API
 *   type Role = 'Trader' | 'Quant Analyst' | 'Risk Officer' | 'IT Admin' | 'service account'
 *   interface User { username; role; privileged; passwordHash ('scrypt$N$r$p$salt$hash');
 *     totpSecret? (base32); webauthnCredentials: WebAuthnCredential[]; expectedCountries (ISO 3166 alpha-2);
 *     certSubjects; compIds; disabled?; protocol? ('parley' | 'fix44'); service? (a machine identity: no password,
 *     no second factor, workload-certificate fingerprints and allowed CIDRs — service-account.ts) }
 *   interface WebAuthnCredential { id (base64url); publicKey (base64url COSE key); counter; transports?;
 *     createdAt? (ISO 8601, when it was registered); lastUsedAt? (ISO 8601) }
 *   class UserDirectory
 *     static load(file): Promise<UserDirectory>   — throws DirectoryError "users.json: users[2].role: must be one of ..."
 *     static empty(file): UserDirectory            — a new directory that save() will create
 *     static parse(text, file): UserDirectory       — same checks as load, on text already read
 *     get(username) / byCompId(compId) / byCertSubject(subject) / list()
 *     upsert(user) (validated; compId/cert subject clashes refused) / remove(username) / save() (atomic, 0600)
 *   hashPassword(pw, cost? (DEFAULT_SCRYPT N=2^17 r=8 p=1)): Promise<string>; verifyPassword(hash, pw): Promise<boolean>
 *     (constant time); needsRehash(hash, cost); rehashIfWeaker(users, username, pw, cost) — after a good logon
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { SecretBox } from './secret-box.ts';
import { SERVICE_ROLES, validateProtocol, validateService, type ServiceAccount, type WireProtocol } from './service-account.ts';
import { basename } from 'node:path';

export const ROLES = ['Trader', 'Quant Analyst', 'Risk Officer', 'IT Admin', 'service account', ...SERVICE_ROLES] as const;
export type Role = (typeof ROLES)[number];

export interface WebAuthnCredential {
  /** Credential id, base64url. */
  id: string;
  /** COSE-encoded public key, base64url. */
  publicKey: string;
  counter: number;
  transports?: string[];
  /** When the key was registered (ISO 8601); absent for keys added before this was recorded. */
  createdAt?: string;
  /** When the key last answered a step-up (ISO 8601), where recorded. */
  lastUsedAt?: string;
}

export interface User {
  username: string;
  role: Role;
  privileged: boolean;
  passwordHash: string;
  totpSecret?: string;
  webauthnCredentials: WebAuthnCredential[];
  expectedCountries: string[];
  certSubjects: string[];
  compIds: string[];
  disabled?: boolean;
  /** What the gateway speaks to this account: Parley's extension (default) or standard FIX 4.4 only. */
  protocol?: WireProtocol;
  /** A machine identity (service-account.ts): no password (passwordHash is ''), no second factor. */
  service?: ServiceAccount;
}

export class DirectoryError extends Error {
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, message: string) {
    super(`${file}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'DirectoryError';
    this.file = file;
    this.field = field;
  }
}

/** A directory file larger than this is refused rather than parsed (hostile or corrupt). */
export const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;
const MAX_USERS = 100_000;
const MAX_LIST = 64;

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const COMP_ID = /^[\x21-\x7e]{1,64}$/; // printable ASCII, no SOH/'=' issues for FIX tag 49
const BASE32 = /^[A-Z2-7]+=*$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const COUNTRY = /^[A-Z]{2}$/;
const HASH = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const USER_KEYS = new Set(['username', 'role', 'privileged', 'passwordHash', 'totpSecret', 'webauthnCredentials',
  'expectedCountries', 'certSubjects', 'compIds', 'disabled', 'protocol', 'service']);
const CRED_KEYS = new Set(['id', 'publicKey', 'counter', 'transports', 'createdAt', 'lastUsedAt']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// Bounds on scrypt parameters read from a file: a hostile hash must not make verification eat the machine.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, file: string, field: string, pattern: RegExp | null, what: string, maxLen = 512): string[] {
  if (!Array.isArray(v)) throw new DirectoryError(file, field, 'must be an array of strings');
  if (v.length > MAX_LIST) throw new DirectoryError(file, field, `must have at most ${MAX_LIST} entries`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > maxLen) {
      throw new DirectoryError(file, `${field}[${i}]`, `must be a non-empty string of at most ${maxLen} characters`);
    }
    if (pattern && !pattern.test(s)) throw new DirectoryError(file, `${field}[${i}]`, `must be ${what}`);
    return s;
  });
}

/** Validates one user record; `field` is its place in the file, e.g. `users[2]`. */
export function validateUser(raw: unknown, file: string, field: string): User {
  if (!isRecord(raw)) throw new DirectoryError(file, field, 'must be an object');
  for (const k of Object.keys(raw)) {
    if (!USER_KEYS.has(k)) throw new DirectoryError(file, `${field}.${k}`, 'unknown field');
  }
  const { username, role, privileged, passwordHash, totpSecret, disabled } = raw;
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new DirectoryError(file, `${field}.username`, 'must be 1-64 characters of A-Z a-z 0-9 . _ @ -');
  }
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new DirectoryError(file, `${field}.role`, `must be one of ${ROLES.map((r) => `"${r}"`).join(', ')}`);
  }
  if (typeof privileged !== 'boolean') throw new DirectoryError(file, `${field}.privileged`, 'must be true or false');
  const fail = (f: string, message: string): never => { throw new DirectoryError(file, f, message); };
  const isServiceRole = (SERVICE_ROLES as readonly string[]).includes(role);
  if (isServiceRole !== (raw.service !== undefined)) {
    fail(isServiceRole ? `${field}.service` : `${field}.role`, isServiceRole ? `is required for the role "${role}" (a machine identity)` : `must be one of ${SERVICE_ROLES.map((r) => `"${r}"`).join(', ')} for a service account`);
  }
  const service = raw.service === undefined ? undefined : validateService(raw.service, fail, `${field}.service`);
  const protocol = validateProtocol(raw.protocol, fail, `${field}.protocol`);
  if (service) {
    // No secret a person types: the workload certificate is the credential.
    if (passwordHash !== undefined && passwordHash !== '') fail(`${field}.passwordHash`, 'a service account has no password');
    if (totpSecret !== undefined || (Array.isArray(raw.webauthnCredentials) && raw.webauthnCredentials.length > 0)) fail(`${field}.totpSecret`, 'a service account has no second factor');
    if (!Array.isArray(raw.compIds) || raw.compIds.length === 0) fail(`${field}.compIds`, 'a service account needs at least one CompID');
  } else if (typeof passwordHash !== 'string' || !parseHash(passwordHash)) {
    throw new DirectoryError(file, `${field}.passwordHash`,
      `must be scrypt$N$r$p$salt$hash (N a power of two <= ${MAX_N}, r <= ${MAX_R}, p <= ${MAX_P}; use hashPassword)`);
  }
  if (totpSecret !== undefined && (typeof totpSecret !== 'string' || totpSecret.length < 16 || totpSecret.length > 128 || !BASE32.test(totpSecret))) {
    throw new DirectoryError(file, `${field}.totpSecret`, 'must be base32 (A-Z, 2-7), at least 16 characters (80 bits)');
  }
  if (disabled !== undefined && typeof disabled !== 'boolean') throw new DirectoryError(file, `${field}.disabled`, 'must be true or false');
  const creds = raw.webauthnCredentials ?? [];
  if (!Array.isArray(creds)) throw new DirectoryError(file, `${field}.webauthnCredentials`, 'must be an array');
  if (creds.length > MAX_LIST) throw new DirectoryError(file, `${field}.webauthnCredentials`, `must have at most ${MAX_LIST} entries`);
  const webauthnCredentials = creds.map((c, i): WebAuthnCredential => {
    const f = `${field}.webauthnCredentials[${i}]`;
    if (!isRecord(c)) throw new DirectoryError(file, f, 'must be an object');
    for (const k of Object.keys(c)) if (!CRED_KEYS.has(k)) throw new DirectoryError(file, `${f}.${k}`, 'unknown field');
    if (typeof c.id !== 'string' || !BASE64URL.test(c.id) || c.id.length > 1400) throw new DirectoryError(file, `${f}.id`, 'must be base64url');
    if (typeof c.publicKey !== 'string' || !BASE64URL.test(c.publicKey) || c.publicKey.length > 4096) {
      throw new DirectoryError(file, `${f}.publicKey`, 'must be a base64url COSE public key');
    }
    if (typeof c.counter !== 'number' || !Number.isSafeInteger(c.counter) || c.counter < 0 || c.counter > 0xffffffff) {
      throw new DirectoryError(file, `${f}.counter`, 'must be an integer 0..4294967295');
    }
    const cred: WebAuthnCredential = { id: c.id, publicKey: c.publicKey, counter: c.counter };
    if (c.transports !== undefined) cred.transports = stringList(c.transports, file, `${f}.transports`, /^[a-z-]{1,32}$/, 'a transport name');
    for (const k of ['createdAt', 'lastUsedAt'] as const) {
      const v = c[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !ISO_TIME.test(v) || Number.isNaN(Date.parse(v))) {
        throw new DirectoryError(file, `${f}.${k}`, 'must be an ISO 8601 time like "2026-01-31T09:30:00Z"');
      }
      cred[k] = v;
    }
    return cred;
  });
  const user: User = {
    username,
    role: role as Role,
    privileged,
    passwordHash: service ? '' : passwordHash as string,
    webauthnCredentials,
    expectedCountries: stringList(raw.expectedCountries ?? [], file, `${field}.expectedCountries`, COUNTRY, 'an ISO 3166 alpha-2 code like "GB"'),
    certSubjects: stringList(raw.certSubjects ?? [], file, `${field}.certSubjects`, null, ''),
    compIds: stringList(raw.compIds ?? [], file, `${field}.compIds`, COMP_ID, 'printable ASCII without spaces, 1-64 characters'),
  };
  if (totpSecret !== undefined) user.totpSecret = totpSecret as string;
  if (disabled !== undefined) user.disabled = disabled as boolean;
  if (protocol !== undefined) user.protocol = protocol;
  if (service) user.service = service;
  return user;
}

/** A sealed TOTP seed is opened before the entry is checked like any other; a plain one (older files) is kept. */
function openSecrets(raw: unknown, secrets: SecretBox | undefined, file: string, field: string): unknown {
  if (!isRecord(raw) || !SecretBox.isSealed(raw.totpSecret)) return raw;
  if (!secrets) throw new DirectoryError(file, `${field}.totpSecret`, 'is encrypted: the gateway\'s secrets key (identity.secretsKeyFile) is needed to read it');
  try {
    return { ...raw, totpSecret: secrets.open(raw.totpSecret, String(raw.username)) };
  } catch (e) {
    throw new DirectoryError(file, `${field}.totpSecret`, (e as Error).message);
  }
}

export class UserDirectory {
  readonly file: string;
  #users = new Map<string, User>();
  #byCompId = new Map<string, string>();
  #bySubject = new Map<string, string>();

  /** Seals TOTP seeds on save and opens sealed ones on load; without it seeds are read and written in plain text. */
  readonly #secrets: SecretBox | undefined;

  private constructor(file: string, secrets?: SecretBox) {
    this.file = file;
    this.#secrets = secrets;
  }

  static empty(file: string, secrets?: SecretBox): UserDirectory {
    return new UserDirectory(file, secrets);
  }

  static async load(file: string, secrets?: SecretBox): Promise<UserDirectory> {
    const name = basename(file);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (e) {
      throw new DirectoryError(name, '', `cannot read the user directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (size > MAX_DIRECTORY_BYTES) throw new DirectoryError(name, '', `file is ${size} bytes; the limit is ${MAX_DIRECTORY_BYTES}`);
    return UserDirectory.#parse(await readFile(file, 'utf8'), name, file, secrets);
  }

  /** `name` is what errors call the file (and where save() would write). */
  static parse(text: string, name: string, secrets?: SecretBox): UserDirectory {
    return UserDirectory.#parse(text, name, name, secrets);
  }

  static #parse(text: string, name: string, path: string, secrets?: SecretBox): UserDirectory {
    if (text.length > MAX_DIRECTORY_BYTES) throw new DirectoryError(name, '', `file is too large (limit ${MAX_DIRECTORY_BYTES} bytes)`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new DirectoryError(name, '', `not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(doc)) throw new DirectoryError(name, '', 'must be a JSON object { "users": [...] }');
    for (const k of Object.keys(doc)) if (k !== 'users') throw new DirectoryError(name, k, 'unknown field');
    if (!Array.isArray(doc.users)) throw new DirectoryError(name, 'users', 'must be an array');
    if (doc.users.length > MAX_USERS) throw new DirectoryError(name, 'users', `must have at most ${MAX_USERS} entries`);
    const dir = new UserDirectory(path, secrets);
    doc.users.forEach((raw, i) => dir.#add(validateUser(openSecrets(raw, secrets, name, `users[${i}]`), name, `users[${i}]`), name, `users[${i}]`));
    return dir;
  }

  #add(user: User, file: string, field: string): void {
    if (this.#users.has(user.username)) throw new DirectoryError(file, `${field}.username`, `duplicate username "${user.username}"`);
    user.compIds.forEach((c, i) => {
      const owner = this.#byCompId.get(c);
      if (owner !== undefined) throw new DirectoryError(file, `${field}.compIds[${i}]`, `CompID "${c}" is already bound to "${owner}"`);
    });
    user.certSubjects.forEach((s, i) => {
      const owner = this.#bySubject.get(s);
      if (owner !== undefined) throw new DirectoryError(file, `${field}.certSubjects[${i}]`, `subject "${s}" is already bound to "${owner}"`);
    });
    this.#users.set(user.username, user);
    for (const c of user.compIds) this.#byCompId.set(c, user.username);
    for (const s of user.certSubjects) this.#bySubject.set(s, user.username);
  }

  #delete(username: string): void {
    const old = this.#users.get(username);
    if (!old) return;
    for (const c of old.compIds) this.#byCompId.delete(c);
    for (const s of old.certSubjects) this.#bySubject.delete(s);
    this.#users.delete(username);
  }

  get(username: string): User | undefined {
    return this.#users.get(username);
  }

  byCompId(compId: string): User | undefined {
    const u = this.#byCompId.get(compId);
    return u === undefined ? undefined : this.#users.get(u);
  }

  byCertSubject(subject: string): User | undefined {
    const u = this.#bySubject.get(subject);
    return u === undefined ? undefined : this.#users.get(u);
  }

  list(): User[] {
    return [...this.#users.values()];
  }

  get size(): number {
    return this.#users.size;
  }

  /** Adds or replaces a user (validated); a CompID or subject bound to someone else is refused and nothing changes. */
  upsert(user: User): void {
    const checked = validateUser(JSON.parse(JSON.stringify(user)) as unknown, basename(this.file), `user "${String(user?.username)}"`);
    const old = this.#users.get(checked.username);
    this.#delete(checked.username);
    try {
      this.#add(checked, basename(this.file), `user "${checked.username}"`);
    } catch (e) {
      if (old) this.#add(old, basename(this.file), '');
      throw e;
    }
  }

  remove(username: string): boolean {
    const had = this.#users.has(username);
    this.#delete(username);
    return had;
  }

  /** Writes the whole file atomically (temp file + rename), readable by the owner only: it holds TOTP secrets. */
  async save(): Promise<void> {
    const box = this.#secrets;
    // A service account is written without the empty passwordHash it holds in memory.
    const plain = this.list().map((u) => { if (!u.service) return u; const { passwordHash: _none, ...rest } = u; return rest; });
    const users = box ? plain.map((u) => (u.totpSecret ? { ...u, totpSecret: box.seal(u.totpSecret, u.username) } : u)) : plain;
    const text = `${JSON.stringify({ users }, null, 2)}\n`;
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

/** Who runs scrypt: in process (libuv's pool) by default; the gateway passes its KdfPool's (kdf-pool.ts). */
export type Kdf = (pw: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

function scrypt(pw: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scryptCb(pw, salt, keylen, opts, (err, key) => (err ? rej(err) : res(key))));
}

function parseHash(h: string): { N: number; r: number; p: number; salt: Buffer; hash: Buffer } | null {
  const m = HASH.exec(h);
  if (!m) return null;
  const N = Number(m[1]);
  const r = Number(m[2]);
  const p = Number(m[3]);
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** scrypt's cost: N (CPU/memory, a power of two), r (block size), p (parallelism). */
export type ScryptCost = { N: number; r: number; p: number };
/** OWASP's scrypt recommendation: N=2^17, r=8, p=1 (128 MiB, a few hundred ms a hash). */
export const DEFAULT_SCRYPT: ScryptCost = { N: 1 << 17, r: 8, p: 1 };

function maxmem(c: ScryptCost): number {
  return 128 * c.N * c.r * 2 + 1024 * 1024;
}

export async function hashPassword(pw: string, opts: Partial<ScryptCost> = {}, kdf: Kdf = scrypt): Promise<string> {
  const c: ScryptCost = { ...DEFAULT_SCRYPT, ...opts };
  const salt = randomBytes(16);
  const hash = await kdf(pw, salt, 32, { N: c.N, r: c.r, p: c.p, maxmem: maxmem(c) });
  return `scrypt$${c.N}$${c.r}$${c.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when the stored hash is cheaper than `cost` in any parameter (it is rehashed at the next good logon). */
export function needsRehash(hash: string, cost: ScryptCost): boolean {
  const h = parseHash(hash);
  return h !== null && (h.N < cost.N || h.r < cost.r || h.p < cost.p);
}

/**
 * After a successful scrypt check: a hash weaker than `cost` is replaced with one at `cost` and the directory
 * saved. Unless the hash changed meanwhile (an admin reset, another logon's rehash): then nothing is written.
 */
export async function rehashIfWeaker(users: UserDirectory, username: string, pw: string, cost: ScryptCost, kdf: Kdf = scrypt): Promise<boolean> {
  const before = users.get(username);
  if (!before || !needsRehash(before.passwordHash, cost)) return false;
  const passwordHash = await hashPassword(pw, cost, kdf);
  const now = users.get(username);
  if (!now || now.passwordHash !== before.passwordHash) return false;
  users.upsert({ ...now, passwordHash });
  await users.save();
  return true;
}

/** Constant-time compare of the derived key; a malformed hash verifies nothing. */
export async function verifyPassword(hash: string, pw: string, kdf: Kdf = scrypt): Promise<boolean> {
  const h = typeof hash === 'string' ? parseHash(hash) : null;
  if (!h || typeof pw !== 'string' || pw.length > 1024) return false;
  const got = await kdf(pw, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h) });
  return timingSafeEqual(got, h.hash);
}
