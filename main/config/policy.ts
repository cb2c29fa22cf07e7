/**
 * IT's machine-wide managed configuration (the policy file) and the user's own settings, merged so that
 * the policy always wins and the user can only tighten it.
 *
 * Every failure — missing permission, not a file, too big, not UTF-8 JSON, wrong shape, unreadable CA
 * bundle — comes back as a ConfigError naming the file, the field and the problem; nothing here throws.
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_CA_BYTES = 1024 * 1024;

/** Where IT puts the policy file on each OS. */
export function defaultPolicyPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  switch (platform) {
    case 'win32':
      return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Parley', 'policy.json');
    case 'darwin':
      return '/Library/Application Support/Parley/policy.json';
    default:
      return '/etc/parley/policy.json';
  }
}

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.\-:\[\]]+$/, 'a host name or IP address');
const port = z.number().int().min(1).max(65_535);
const spkiPin = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of a SHA-256 digest (44 characters)');
const httpsUrl = z
  .string()
  .max(2_048)
  .refine((u) => URL.canParse(u) && new URL(u).protocol === 'https:', 'an https:// URL');
const reattest = z.number().int().min(10).max(86_400);
const compId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a FIX CompID (letters, digits, . _ -)');
const gatewaySchema = z.strictObject({ host: hostname, port, compId: compId.optional() });

export const PolicyFileSchema = z.strictObject({
  $schema: z.string().max(2_048).optional(),
  gateway: gatewaySchema.optional(),
  /** PEM file with the CA certificate(s) that issue the gateway's certificate; relative to the policy file. */
  caBundle: z.string().min(1).max(4_096).optional(),
  spkiPins: z.array(spkiPin).min(1).max(20).optional(),
  enrollmentUrl: httpsUrl.optional(),
  reattestIntervalSec: reattest.optional(),
  /** For silent enrollment by IT; consumed once. */
  enrollmentToken: z.string().min(8).max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII').optional(),
});
export type PolicyFile = z.infer<typeof PolicyFileSchema>;

export const UserSettingsSchema = z.strictObject({
  gateway: gatewaySchema.optional(),
  caBundle: z.string().min(1).max(4_096).optional(),
  spkiPins: z.array(spkiPin).min(1).max(20).optional(),
  enrollmentUrl: httpsUrl.optional(),
  reattestIntervalSec: reattest.optional(),
});
export type UserSettings = z.infer<typeof UserSettingsSchema>;

export interface ConfigError {
  file: string;
  field: string;
  problem: string;
}
export function describeConfigError(e: ConfigError): string {
  return `${e.file}: ${e.field}: ${e.problem}`;
}

export type Setting = 'gateway' | 'caBundle' | 'spkiPins' | 'enrollmentUrl' | 'reattestIntervalSec';

export interface EffectiveConfig {
  gateway: { host: string; port: number; compId?: string | undefined } | null;
  /** CA certificates (PEM) to verify the gateway and the enrollment endpoint; null = the system's. */
  caPem: string[] | null;
  spkiPins: string[];
  enrollmentUrl: string | null;
  reattestIntervalSec: number;
  enrollmentToken: string | null;
  policySource: string | null;
  /** The settings IT fixed: the UI shows them read-only. */
  managed: Setting[];
}

export const DEFAULT_REATTEST_SEC = 300;

export type LoadResult<T> = { ok: true; value: T } | { ok: false; error: ConfigError };

/** Reads a small JSON file defensively. `missing` is returned when it does not exist. */
export async function readJsonFile(file: string, maxBytes = MAX_CONFIG_BYTES): Promise<LoadResult<unknown> | 'missing'> {
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not hang the client.
    handle = await fs.open(file, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
    const st = await handle.stat();
    if (!st.isFile()) return fail(file, '(file)', 'is not a regular file');
    if (st.size > maxBytes) return fail(file, '(file)', `is ${st.size} bytes; the limit is ${maxBytes}`);
    const buf = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buf, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return fail(file, '(file)', `is larger than ${maxBytes} bytes`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead));
    } catch {
      return fail(file, '(file)', 'is not valid UTF-8 text');
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!text.trim()) return fail(file, '(file)', 'is empty');
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      return fail(file, '(file)', `is not valid JSON (${(e as Error).message})`);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EACCES' || code === 'EPERM') return fail(file, '(file)', 'cannot be read (permission denied)');
    if (code === 'EISDIR') return fail(file, '(file)', 'is a directory');
    return fail(file, '(file)', `cannot be read (${code ?? (e as Error).message})`);
  } finally {
    await handle?.close().catch(() => {});
  }
}

function fail(file: string, field: string, problem: string): { ok: false; error: ConfigError } {
  return { ok: false, error: { file, field, problem } };
}

function parseWith<S extends z.ZodType>(file: string, schema: S, raw: unknown): LoadResult<z.infer<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') problem = `unknown setting(s): ${issue.keys.slice(0, 5).join(', ')}`;
  return fail(file, field, problem);
}

async function loadCa(file: string, field: string, bundlePath: string, relativeTo: string): Promise<LoadResult<string[]>> {
  const p = path.resolve(path.dirname(relativeTo), bundlePath);
  let text: string;
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return fail(file, field, `${p} is not a regular file`);
    if (st.size > MAX_CA_BYTES) return fail(file, field, `${p} is larger than ${MAX_CA_BYTES} bytes`);
    text = await fs.readFile(p, 'utf8');
  } catch (e) {
    return fail(file, field, `${p} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!pems.length) return fail(file, field, `${p} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      return fail(file, field, `${p} holds a certificate that cannot be parsed`);
    }
  }
  return { ok: true, value: pems };
}

export interface LoadConfigOptions {
  /** The machine-wide policy file; default per OS. */
  policyPath?: string;
  /** The user's settings file (in the data folder), or none. */
  userSettingsPath?: string | null;
}

/** Loads and merges; the policy file overrides user settings, which may only tighten it. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadResult<EffectiveConfig>> {
  const policyPath = opts.policyPath ?? defaultPolicyPath();
  let policy: PolicyFile = {};
  let policySource: string | null = null;
  const rawPolicy = await readJsonFile(policyPath);
  if (rawPolicy !== 'missing') {
    if (!rawPolicy.ok) return rawPolicy;
    const p = parseWith(policyPath, PolicyFileSchema, rawPolicy.value);
    if (!p.ok) return p;
    policy = p.value;
    policySource = policyPath;
  }

  let user: UserSettings = {};
  const userPath = opts.userSettingsPath ?? null;
  if (userPath) {
    const rawUser = await readJsonFile(userPath);
    if (rawUser !== 'missing') {
      if (!rawUser.ok) return rawUser;
      const u = parseWith(userPath, UserSettingsSchema, rawUser.value);
      if (!u.ok) return u;
      user = u.value;
    }
  }

  const managed: Setting[] = [];
  const pick = <K extends Setting>(k: K): PolicyFile[K] | UserSettings[K] => {
    if (policy[k] !== undefined) {
      managed.push(k);
      return policy[k];
    }
    return user[k];
  };

  const gateway = pick('gateway') ?? null;
  const enrollmentUrl = pick('enrollmentUrl') ?? null;
  // Pins: IT's pins are final; a user's extra pins would widen what is accepted.
  const spkiPins = pick('spkiPins') ?? [];

  let caPem: string[] | null = null;
  if (policy.caBundle !== undefined) {
    managed.push('caBundle');
    const ca = await loadCa(policyPath, 'caBundle', policy.caBundle, policyPath);
    if (!ca.ok) return ca;
    caPem = ca.value;
  } else if (user.caBundle !== undefined && userPath) {
    const ca = await loadCa(userPath, 'caBundle', user.caBundle, userPath);
    if (!ca.ok) return ca;
    caPem = ca.value;
  }

  // A user may attest more often than IT asks, never less often.
  let reattestIntervalSec = policy.reattestIntervalSec ?? DEFAULT_REATTEST_SEC;
  if (policy.reattestIntervalSec !== undefined) managed.push('reattestIntervalSec');
  if (user.reattestIntervalSec !== undefined) reattestIntervalSec = Math.min(reattestIntervalSec, user.reattestIntervalSec);

  return {
    ok: true,
    value: {
      gateway,
      caPem,
      spkiPins,
      enrollmentUrl,
      reattestIntervalSec,
      enrollmentToken: policy.enrollmentToken ?? null,
      policySource,
      managed,
    },
  };
}
