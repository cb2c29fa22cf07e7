import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { findFact, type Fact, type PostureReport } from './report.ts';

const version = z.string().regex(/^\d{1,9}(\.\d{1,9}){0,3}$/, 'a dotted numeric version like "14.4" or "10.0.22631.3447"');
const count = z.number().int().min(0).max(1_000_000);

/** What IT (or the gateway, with its own file) requires of a device. Every rule is optional; absent = not checked. */
export const posturePolicySchema = z
  .object({
    minOsVersion: z
      .object({
        /** Keyed by os-release ID ("debian", "ubuntu", "fedora"); a distribution not listed is "unknown". */
        linux: z.record(z.string().regex(/^[a-z0-9._-]{1,64}$/), version).optional(),
        darwin: version.optional(),
        /** Compared with the full build including the update revision, e.g. "10.0.22631.3447". */
        win32: version.optional(),
      })
      .strict()
      .optional(),
    maxDaysSinceLastPatch: z.number().int().min(0).max(3650).optional(),
    maxPendingSecurityUpdates: count.optional(),
    maxPendingUpdates: count.optional(),
    requireDiskEncryption: z.boolean().optional(),
    requireFirewall: z.boolean().optional(),
    requireScreenLock: z.boolean().optional(),
    maxScreenLockDelaySeconds: z.number().int().min(0).max(86_400).optional(),
    requireSecureBoot: z.boolean().optional(),
    requireHardwareId: z.boolean().optional(),
    minAgentVersion: version.optional(),
  })
  .strict();

export type PosturePolicy = z.infer<typeof posturePolicySchema>;

export type RuleResult = { rule: string; status: 'pass' | 'fail' | 'unknown'; reason: string };
export interface PostureEvaluation {
  compliant: 'yes' | 'no' | 'unknown';
  results: RuleResult[];
}

export function parsePosturePolicy(value: unknown): { ok: true; policy: PosturePolicy } | { ok: false; error: string } {
  const r = posturePolicySchema.safeParse(value);
  if (r.success) return { ok: true, policy: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(top level)';
  return { ok: false, error: `${where}: ${issue?.message ?? 'invalid policy'}` };
}

export class PolicyFileError extends Error {}

const MAX_POLICY_BYTES = 256 * 1024;

/** Reads and validates a JSON policy file; every failure is a PolicyFileError with a message fit for a terminal. */
export async function loadPosturePolicy(path: string): Promise<PosturePolicy> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_POLICY_BYTES) throw new PolicyFileError(`policy file ${path} is larger than ${MAX_POLICY_BYTES} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof PolicyFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new PolicyFileError(e.code === 'ENOENT' ? `policy file ${path} does not exist` : `cannot read policy file ${path}: ${e.message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new PolicyFileError(`policy file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const p = parsePosturePolicy(json);
  if (!p.ok) throw new PolicyFileError(`policy file ${path} is invalid: ${p.error}`);
  return p.policy;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

const NUMERIC_VERSION = /^\d{1,9}(\.\d{1,9}){0,3}$/;

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Judges a report against a policy. Reads fact values defensively (the report may come off the wire): a missing
 * or unreadable fact makes its rule "unknown", never "pass".
 */
export function evaluatePosture(report: PostureReport, policy: PosturePolicy): PostureEvaluation {
  const results: RuleResult[] = [];
  const add = (rule: string, status: RuleResult['status'], reason: string): void => void results.push({ rule, status, reason });
  const need = (rule: string, id: string): Fact | undefined => {
    const f = findFact(report, id);
    if (!f) add(rule, 'unknown', `fact ${id} missing from the report`);
    else if (f.status === 'unknown') add(rule, 'unknown', `${id} unknown: ${f.reason ?? 'no reason given'}`);
    return f && f.status !== 'unknown' ? f : undefined;
  };

  if (policy.minOsVersion) {
    const rule = 'os.minVersion';
    const f = need(rule, 'os.version');
    if (f) {
      const os = report.os;
      let min: string | undefined;
      let have: string;
      if (os.platform === 'linux') {
        min = policy.minOsVersion.linux?.[os.id];
        have = os.version;
      } else if (os.platform === 'darwin') {
        min = policy.minOsVersion.darwin;
        have = os.version;
      } else {
        min = policy.minOsVersion.win32;
        have = os.build || os.version;
      }
      if (min === undefined) add(rule, 'unknown', `policy sets no minimum version for ${os.platform === 'linux' ? `distribution "${os.id}"` : os.platform}`);
      else if (!NUMERIC_VERSION.test(have)) add(rule, 'unknown', `OS version "${have}" is not comparable`);
      else if (compareVersions(have, min) < 0) add(rule, 'fail', `${os.distro} ${have} is older than the required ${min}`);
      else add(rule, 'pass', `${os.distro} ${have} >= ${min}`);
    }
  }

  if (policy.maxDaysSinceLastPatch !== undefined) {
    const rule = 'patch.maxAge';
    const f = need(rule, 'patch.lastInstalled');
    if (f) {
      const date = rec(f.value).date;
      const when = typeof date === 'string' ? Date.parse(date) : NaN;
      const at = Date.parse(report.collectedAt);
      if (Number.isNaN(when) || Number.isNaN(at)) add(rule, 'unknown', 'last patch date unreadable');
      else {
        const days = Math.floor((at - when) / 86_400_000);
        if (days > policy.maxDaysSinceLastPatch) add(rule, 'fail', `last patched ${days} days before collection (limit ${policy.maxDaysSinceLastPatch})`);
        else add(rule, 'pass', `last patched ${days} days before collection (limit ${policy.maxDaysSinceLastPatch})`);
      }
    }
  }

  const pendingRule = (rule: string, key: 'security' | 'total', max: number | undefined, what: string): void => {
    if (max === undefined) return;
    const f = findFact(report, 'patch.pending');
    const n = f ? num(rec(f.value)[key]) : undefined;
    // A fact that is unknown overall may still know the total (dnf without updateinfo); only a number decides.
    if (n === undefined) {
      need(rule, 'patch.pending') && add(rule, 'unknown', `${what} count unreadable`);
      return;
    }
    if (n > max) add(rule, 'fail', `${n} ${what} pending (limit ${max})`);
    else add(rule, 'pass', `${n} ${what} pending (limit ${max})`);
  };
  pendingRule('patch.pendingSecurity', 'security', policy.maxPendingSecurityUpdates, 'security updates');
  pendingRule('patch.pendingTotal', 'total', policy.maxPendingUpdates, 'updates');

  const required = (flag: boolean | undefined, rule: string, id: string, what: string): void => {
    if (!flag) return;
    const f = need(rule, id);
    if (f) add(rule, f.status, `${what}: ${f.reason ?? f.status}`);
  };
  required(policy.requireDiskEncryption, 'disk.encryption', 'disk.encryption', 'disk encryption');
  required(policy.requireFirewall, 'firewall', 'firewall', 'firewall');
  required(policy.requireScreenLock, 'screenLock', 'screenLock', 'screen lock');
  required(policy.requireSecureBoot, 'secureBoot', 'secureBoot', 'Secure Boot');
  required(policy.requireHardwareId, 'hardware.id', 'hardware.id', 'hardware identity');

  if (policy.maxScreenLockDelaySeconds !== undefined) {
    const rule = 'screenLock.maxDelay';
    const f = need(rule, 'screenLock');
    if (f) {
      const v = rec(f.value);
      const delay = num(v.idleDelaySeconds) ?? num(v.delaySeconds) ?? num(v.timeoutSeconds);
      if (f.status === 'fail' || v.enabled === false) add(rule, 'fail', `screen lock is off: ${f.reason ?? ''}`.trim());
      else if (delay === undefined) add(rule, 'unknown', 'screen lock delay unreadable');
      else if (delay > policy.maxScreenLockDelaySeconds) add(rule, 'fail', `locks after ${delay} s (limit ${policy.maxScreenLockDelaySeconds} s)`);
      else add(rule, 'pass', `locks after ${delay} s (limit ${policy.maxScreenLockDelaySeconds} s)`);
    }
  }

  if (policy.minAgentVersion !== undefined) {
    const rule = 'agent.minVersion';
    const have = report.agentVersion;
    if (!NUMERIC_VERSION.test(have)) add(rule, 'unknown', `agent version "${have}" is not comparable`);
    else if (compareVersions(have, policy.minAgentVersion) < 0) add(rule, 'fail', `agent ${have} is older than ${policy.minAgentVersion}`);
    else add(rule, 'pass', `agent ${have} >= ${policy.minAgentVersion}`);
  }

  const compliant = results.some((r) => r.status === 'fail') ? 'no' : results.some((r) => r.status === 'unknown') ? 'unknown' : 'yes';
  return { compliant, results };
}
