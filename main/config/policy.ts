/**
 * IT's managed configuration from every channel IT uses, merged with the user's own settings:
 *   OS policy (Windows registry policy / macOS managed preferences) > policy file > user settings.
 * A lower source never loosens a higher one: IT's gateway, CA, pins and update policy are final once set,
 * and the re-attestation interval can only get shorter down the chain.
 *
 * Every failure — missing permission, not a file, too big, not UTF-8 JSON, a bad registry export or plist,
 * wrong shape, unreadable CA bundle — comes back as a ConfigError naming the source, the field and the
 * problem; nothing here throws, and a bad source is never skipped (the client enters its configuration-error
 * state instead of starting with less policy than IT set).
 */
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MANAGED_PREFS_PATH, readManagedPreferences } from './managed-prefs.ts';
import { readJsonFile } from './read-file.ts';
import { POLICY_KEY_SHORT, readRegistryPolicy } from './registry.ts';
import { fail, parseWith, PolicyFileSchema, UserSettingsSchema, type LoadResult, type PolicyFile, type UserSettings } from './schema.ts';

export { MAX_CONFIG_BYTES, readJsonFile } from './read-file.ts';
export { describeConfigError, PolicyFileSchema, UserSettingsSchema, type ConfigError, type LoadResult, type PolicyFile, type UserSettings } from './schema.ts';

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

export type Setting = 'gateway' | 'caBundle' | 'spkiPins' | 'enrollmentUrl' | 'reattestIntervalSec' | 'updates';

/** The update policy in force: IT-managed (the app never updates itself) unless IT's policy says otherwise. */
export type UpdatesPolicy = NonNullable<PolicyFile['updates']>;
export const DEFAULT_UPDATES: UpdatesPolicy = { mode: 'it-managed' };

export interface EffectiveConfig {
  gateway: { host: string; port: number; compId?: string | undefined } | null;
  /** CA certificates (PEM) to verify the gateway and the enrollment endpoint; null = the system's. */
  caPem: string[] | null;
  spkiPins: string[];
  enrollmentUrl: string | null;
  reattestIntervalSec: number;
  enrollmentToken: string | null;
  /** The highest-precedence source of IT policy in force (registry key, managed preferences or file), or null. */
  policySource: string | null;
  /** Every IT policy source in force, highest precedence first. */
  policySources: string[];
  /** The settings IT fixed: the UI shows them read-only. */
  managed: Setting[];
  updates: UpdatesPolicy;
}

export const DEFAULT_REATTEST_SEC = 300;

async function loadCa(file: string, field: string, bundlePath: string, relativeTo: string | null): Promise<LoadResult<string[]>> {
  // OS policy has no folder of its own to be relative to.
  if (relativeTo === null && !path.isAbsolute(bundlePath)) return fail(file, field, 'must be an absolute path in OS policy');
  const p = relativeTo === null ? path.resolve(bundlePath) : path.resolve(path.dirname(relativeTo), bundlePath);
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

/** A channel of OS policy: where it is read from (named in errors and in the UI) and how. */
export interface OsPolicySource {
  name: string;
  read(): Promise<LoadResult<unknown> | 'missing'>;
}

/** The OS's own management channel: the registry on Windows, managed preferences on macOS, none on Linux. */
export function defaultOsPolicySource(platform: NodeJS.Platform = process.platform): OsPolicySource | null {
  if (platform === 'win32') return { name: POLICY_KEY_SHORT, read: () => readRegistryPolicy() };
  if (platform === 'darwin') return { name: MANAGED_PREFS_PATH, read: () => readManagedPreferences() };
  return null;
}

export interface LoadConfigOptions {
  /** The machine-wide policy file; default per OS. */
  policyPath?: string;
  /** The user's settings file (in the data folder), or none. */
  userSettingsPath?: string | null;
  /** The OS policy channel; default per OS (none on Linux). null = do not read one. */
  osPolicy?: OsPolicySource | null;
}

interface Layer {
  source: string;
  /** Relative paths (caBundle) resolve against this file; null = the source must give absolute paths. */
  relativeTo: string | null;
  policy: PolicyFile;
}

async function readLayer(source: string, relativeTo: string | null, raw: LoadResult<unknown> | 'missing'): Promise<LoadResult<Layer | null>> {
  if (raw === 'missing') return { ok: true, value: null };
  if (!raw.ok) return raw;
  const p = parseWith(source, PolicyFileSchema, raw.value);
  return p.ok ? { ok: true, value: { source, relativeTo, policy: p.value } } : p;
}

/** Loads every source and merges them; see the precedence at the top of this file. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadResult<EffectiveConfig>> {
  const layers: Layer[] = [];
  const os = opts.osPolicy === undefined ? defaultOsPolicySource() : opts.osPolicy;
  if (os) {
    const l = await readLayer(os.name, null, await os.read());
    if (!l.ok) return l;
    if (l.value) layers.push(l.value);
  }
  const policyPath = opts.policyPath ?? defaultPolicyPath();
  const f = await readLayer(policyPath, policyPath, await readJsonFile(policyPath));
  if (!f.ok) return f;
  if (f.value) layers.push(f.value);

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
  /** The highest layer that sets k wins outright (nothing below can widen it). */
  const top = <K extends keyof PolicyFile>(k: K): Layer | undefined => layers.find((l) => l.policy[k] !== undefined);
  const pick = <K extends Setting & keyof UserSettings>(k: K): UserSettings[K] => {
    const l = top(k);
    if (l) {
      managed.push(k);
      return l.policy[k] as UserSettings[K];
    }
    return user[k];
  };

  const gateway = pick('gateway') ?? null;
  const enrollmentUrl = pick('enrollmentUrl') ?? null;
  // Pins: IT's pins are final; a user's extra pins would widen what is accepted.
  const spkiPins = pick('spkiPins') ?? [];

  let caPem: string[] | null = null;
  const caLayer = top('caBundle');
  if (caLayer) {
    managed.push('caBundle');
    const ca = await loadCa(caLayer.source, 'caBundle', caLayer.policy.caBundle!, caLayer.relativeTo);
    if (!ca.ok) return ca;
    caPem = ca.value;
  } else if (user.caBundle !== undefined && userPath) {
    const ca = await loadCa(userPath, 'caBundle', user.caBundle, userPath);
    if (!ca.ok) return ca;
    caPem = ca.value;
  }

  // Every source may make re-attestation more frequent, none less frequent than a higher one asks.
  let reattestIntervalSec = DEFAULT_REATTEST_SEC;
  const asked = layers.map((l) => l.policy.reattestIntervalSec).filter((v) => v !== undefined);
  if (asked.length) {
    managed.push('reattestIntervalSec');
    reattestIntervalSec = Math.min(...asked);
  }
  if (user.reattestIntervalSec !== undefined) reattestIntervalSec = Math.min(reattestIntervalSec, user.reattestIntervalSec);

  const updatesLayer = top('updates');
  if (updatesLayer) managed.push('updates');

  return {
    ok: true,
    value: {
      gateway,
      caPem,
      spkiPins,
      enrollmentUrl,
      reattestIntervalSec,
      enrollmentToken: top('enrollmentToken')?.policy.enrollmentToken ?? null,
      policySource: layers[0]?.source ?? null,
      policySources: layers.map((l) => l.source),
      managed,
      updates: updatesLayer?.policy.updates ?? DEFAULT_UPDATES,
    },
  };
}
