/**
 * The gateway's posture policy, applied to an agent PostureReport (agent/report.ts) with the agent's own rule
 * engine (agent/policy.ts evaluatePosture), so device and gateway judge a report the same way. The gateway adds
 * what only it needs: a policy with defaults and config-style errors, a "*" fallback for Linux distributions,
 * the compliance level the access policy uses, and fail-closed mapping (an unknown fact is never compliant).
 *
 * API
 *   interface PosturePolicy { minOsVersion { linux: {<os-release ID>|'*': version}; darwin: version; win32: build };
 *     maxDaysSinceLastPatch; requireDiskEncryption; highlyCompliant { maxDaysSinceLastPatch; requireFacts } }
 *     requireFacts: any of 'firewall', 'screenLock', 'secureBoot', 'hardware.id', 'disk.encryption'
 *   DEFAULT_POSTURE_POLICY
 *   parsePosturePolicy(input, where = 'posture'): PosturePolicy   — partial input over the defaults; errors name the field
 *   loadPosturePolicy(file): Promise<PosturePolicy>               — a JSON file; errors name the file and field
 *   evaluatePosture(report: unknown, policy, now = Date.now()): PostureResult
 *     PostureResult { level 'highly-compliant'|'compliant'|'non-compliant'|'unknown'; compliant: boolean;
 *       checks: { check; ok; reason }[]; failures: string[] }
 *     'unknown' when the report is missing or malformed; a failing or unknown rule makes it 'non-compliant'.
 *     `level` feeds the access policy's context.deviceCompliance, `compliant` the risk score's deviceCompliant.
 *     Patch age counts to the report's collectedAt (the attestation layer bounds how old a report may be).
 *   compareVersions(a, b): -1|0|1   — the agent's: dotted numeric, missing parts are 0 ("14" == "14.0")
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { evaluatePosture as agentEvaluate, type PosturePolicy as AgentPolicy, type RuleResult } from '../../agent/policy.ts';
import { findFact, postureReportSchema, type PostureReport } from '../../agent/report.ts';

export interface PosturePolicy {
  minOsVersion: { linux: Record<string, string>; darwin: string; win32: string };
  maxDaysSinceLastPatch: number;
  requireDiskEncryption: boolean;
  highlyCompliant: { maxDaysSinceLastPatch: number; requireFacts: string[] };
}

export const DEFAULT_POSTURE_POLICY: PosturePolicy = {
  minOsVersion: {
    linux: { debian: '12', ubuntu: '22.04', fedora: '40', rhel: '9', '*': '0' },
    darwin: '14.0',
    win32: '10.0.19045',
  },
  maxDaysSinceLastPatch: 30,
  requireDiskEncryption: true,
  highlyCompliant: { maxDaysSinceLastPatch: 7, requireFacts: ['firewall', 'screenLock', 'secureBoot'] },
};

export interface PostureCheck { check: string; ok: boolean; reason: string }
export interface PostureResult {
  level: 'highly-compliant' | 'compliant' | 'non-compliant' | 'unknown';
  compliant: boolean;
  checks: PostureCheck[];
  failures: string[];
}

// The agent's rule engine compares at most four parts.
const VERSION = /^\d{1,9}(\.\d{1,9}){0,3}$/;

/** highlyCompliant.requireFacts -> the agent policy flag that checks it. */
const FACT_RULES = {
  firewall: 'requireFirewall',
  screenLock: 'requireScreenLock',
  secureBoot: 'requireSecureBoot',
  'hardware.id': 'requireHardwareId',
  'disk.encryption': 'requireDiskEncryption',
} as const satisfies Record<string, keyof AgentPolicy>;

export { compareVersions } from '../../agent/policy.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function version(v: unknown, f: string): string {
  if (typeof v !== 'string' || !VERSION.test(v)) throw new Error(`${f}: must be a version like "12", "22.04" or "10.0.19045"`);
  return v;
}

function days(v: unknown, f: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3650) throw new Error(`${f}: must be a whole number of days from 0 to 3650`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: string[], f: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${f}.${k}: unknown field (expected one of ${keys.join(', ')})`);
}

export function parsePosturePolicy(input: unknown, where = 'posture'): PosturePolicy {
  if (input === undefined || input === null) input = {};
  if (!isRecord(input)) throw new Error(`${where}: must be an object`);
  onlyKeys(input, ['minOsVersion', 'maxDaysSinceLastPatch', 'requireDiskEncryption', 'highlyCompliant'], where);
  const p: PosturePolicy = JSON.parse(JSON.stringify(DEFAULT_POSTURE_POLICY)) as PosturePolicy;
  if (input.minOsVersion !== undefined) {
    const m = input.minOsVersion;
    if (!isRecord(m)) throw new Error(`${where}.minOsVersion: must be an object`);
    onlyKeys(m, ['linux', 'darwin', 'win32'], `${where}.minOsVersion`);
    if (m.linux !== undefined) {
      if (!isRecord(m.linux)) throw new Error(`${where}.minOsVersion.linux: must be an object of os-release ID -> version ("*" for any other)`);
      const linux: Record<string, string> = {};
      for (const [id, v] of Object.entries(m.linux)) {
        if (!/^(\*|[a-z0-9._-]{1,64})$/.test(id)) throw new Error(`${where}.minOsVersion.linux.${id}: not an os-release ID`);
        linux[id] = version(v, `${where}.minOsVersion.linux.${id}`);
      }
      p.minOsVersion.linux = linux;
    }
    if (m.darwin !== undefined) p.minOsVersion.darwin = version(m.darwin, `${where}.minOsVersion.darwin`);
    if (m.win32 !== undefined) p.minOsVersion.win32 = version(m.win32, `${where}.minOsVersion.win32`);
  }
  if (input.maxDaysSinceLastPatch !== undefined) p.maxDaysSinceLastPatch = days(input.maxDaysSinceLastPatch, `${where}.maxDaysSinceLastPatch`);
  if (input.requireDiskEncryption !== undefined) {
    if (typeof input.requireDiskEncryption !== 'boolean') throw new Error(`${where}.requireDiskEncryption: must be true or false`);
    p.requireDiskEncryption = input.requireDiskEncryption;
  }
  if (input.highlyCompliant !== undefined) {
    const h = input.highlyCompliant;
    if (!isRecord(h)) throw new Error(`${where}.highlyCompliant: must be an object`);
    onlyKeys(h, ['maxDaysSinceLastPatch', 'requireFacts'], `${where}.highlyCompliant`);
    if (h.maxDaysSinceLastPatch !== undefined) p.highlyCompliant.maxDaysSinceLastPatch = days(h.maxDaysSinceLastPatch, `${where}.highlyCompliant.maxDaysSinceLastPatch`);
    if (h.requireFacts !== undefined) {
      if (!Array.isArray(h.requireFacts)) throw new Error(`${where}.highlyCompliant.requireFacts: must be an array of fact ids`);
      p.highlyCompliant.requireFacts = h.requireFacts.map((id, i) => {
        if (typeof id !== 'string' || !Object.hasOwn(FACT_RULES, id)) {
          throw new Error(`${where}.highlyCompliant.requireFacts[${i}]: must be one of ${Object.keys(FACT_RULES).join(', ')}`);
        }
        return id;
      });
    }
  }
  return p;
}

export async function loadPosturePolicy(file: string): Promise<PosturePolicy> {
  const name = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${name}: cannot read the posture policy (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (text.length > 1024 * 1024) throw new Error(`${name}: file is too large`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return parsePosturePolicy(doc, '');
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message.replace(/^\./, '').replace(/^: /, '')}`);
  }
}

function toCheck(r: RuleResult): PostureCheck {
  return { check: r.rule, ok: r.status === 'pass', reason: r.status === 'unknown' ? `unknown: ${r.reason}` : r.reason };
}

/** The agent policy for this report: the gateway's "*" distribution fallback resolved to the report's distribution. */
function agentPolicy(policy: PosturePolicy, r: PostureReport, maxDays: number): AgentPolicy {
  const linuxMin = policy.minOsVersion.linux[r.os.id] ?? policy.minOsVersion.linux['*'];
  return {
    minOsVersion: {
      linux: linuxMin === undefined ? {} : { [r.os.id]: linuxMin },
      darwin: policy.minOsVersion.darwin,
      win32: policy.minOsVersion.win32,
    },
    maxDaysSinceLastPatch: maxDays,
    requireDiskEncryption: policy.requireDiskEncryption,
  };
}

export function evaluatePosture(report: unknown, policy: PosturePolicy = DEFAULT_POSTURE_POLICY, now: number = Date.now()): PostureResult {
  const parsed = postureReportSchema.safeParse(report);
  if (!parsed.success) {
    const why = report === undefined || report === null ? 'no posture report' : `malformed posture report (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message ?? ''})`;
    return { level: 'unknown', compliant: false, checks: [{ check: 'report', ok: false, reason: why }], failures: [why] };
  }
  const r = parsed.data as PostureReport;
  const checks: PostureCheck[] = [];
  if (r.os.platform !== r.platform) {
    checks.push({ check: 'report', ok: false, reason: `report says ${r.platform} but its OS summary says ${r.os.platform}` });
  }
  // The agent's rule counts days back from collection; a date after collection (or after now) is a lie or a
  // broken clock, not a fresh patch.
  const patchDate = Date.parse(String((findFact(r, 'patch.lastInstalled')?.value as { date?: unknown } | undefined)?.date ?? ''));
  if (Number.isFinite(patchDate) && patchDate > Math.min(Date.parse(r.collectedAt), now) + 86_400_000) {
    checks.push({ check: 'patch.maxAge', ok: false, reason: 'last update is dated in the future' });
  }
  checks.push(...agentEvaluate(r, agentPolicy(policy, r, policy.maxDaysSinceLastPatch)).results.map(toCheck));

  const failures = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.reason}`);
  if (failures.length) return { level: 'non-compliant', compliant: false, checks, failures };

  const strict: AgentPolicy = agentPolicy(policy, r, policy.highlyCompliant.maxDaysSinceLastPatch);
  for (const id of policy.highlyCompliant.requireFacts) strict[FACT_RULES[id as keyof typeof FACT_RULES]] = true;
  const high = agentEvaluate(r, strict).compliant === 'yes';
  return { level: high ? 'highly-compliant' : 'compliant', compliant: true, checks, failures };
}
