/**
 * The gateway's posture policy, applied to an agent PostureReport (agent/report.ts). The gateway judges the
 * reported values itself (OS version, date of the last patch, encryption state) against its own policy; the
 * agent's pass/fail on each fact reflects the agent's baseline and is not trusted here.
 *
 * API
 *   interface PosturePolicy { minOsVersion { linux: {<os-release ID>|'*': version}; darwin: version; win32: build };
 *     maxDaysSinceLastPatch; requireDiskEncryption; highlyCompliant { maxDaysSinceLastPatch; requireFacts: FactId[] } }
 *   DEFAULT_POSTURE_POLICY
 *   parsePosturePolicy(input, where = 'posture'): PosturePolicy   — partial input over the defaults; errors name the field
 *   loadPosturePolicy(file): Promise<PosturePolicy>               — a JSON file; errors name the file and field
 *   evaluatePosture(report: unknown, policy, now = Date.now()): PostureResult
 *     PostureResult { level 'highly-compliant'|'compliant'|'non-compliant'|'unknown'; compliant: boolean;
 *       checks: { check; ok; reason }[]; failures: string[] }
 *     'unknown' when the report is missing or malformed; `level` feeds the access policy's context.deviceCompliance,
 *     `compliant` the risk score's deviceCompliant.
 *   compareVersions(a, b): -1|0|1   — dotted numeric, missing parts are 0 ("14" == "14.0")
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FACT_IDS, findFact, postureReportSchema, type PostureReport } from '../../agent/report.ts';

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

const VERSION = /^\d{1,9}(\.\d{1,9}){0,5}$/;

export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

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
        if (typeof id !== 'string' || !(FACT_IDS as readonly string[]).includes(id)) {
          throw new Error(`${where}.highlyCompliant.requireFacts[${i}]: must be one of ${FACT_IDS.join(', ')}`);
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

function numericVersion(s: string): string | undefined {
  const m = /^\d+(\.\d+)*/.exec(s.trim());
  return m ? m[0] : undefined;
}

export function evaluatePosture(report: unknown, policy: PosturePolicy = DEFAULT_POSTURE_POLICY, now: number = Date.now()): PostureResult {
  const parsed = postureReportSchema.safeParse(report);
  if (!parsed.success) {
    const why = report === undefined || report === null ? 'no posture report' : `malformed posture report (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message ?? ''})`;
    return { level: 'unknown', compliant: false, checks: [{ check: 'report', ok: false, reason: why }], failures: [why] };
  }
  const r = parsed.data as PostureReport;
  const checks: PostureCheck[] = [];

  // OS version: Windows is judged on its build (10.0.22631.x), the others on the release version.
  const os = r.os;
  const reported = numericVersion(r.platform === 'win32' ? os.build || os.version : os.version);
  let min: string | undefined;
  if (r.platform === 'linux') min = policy.minOsVersion.linux[os.id] ?? policy.minOsVersion.linux['*'];
  else min = r.platform === 'darwin' ? policy.minOsVersion.darwin : policy.minOsVersion.win32;
  if (os.platform !== r.platform) {
    checks.push({ check: 'os.version', ok: false, reason: `report says ${r.platform} but its OS summary says ${os.platform}` });
  } else if (min === undefined) {
    checks.push({ check: 'os.version', ok: false, reason: `${os.distro || os.id}: no minimum version is set for this distribution` });
  } else if (!reported) {
    checks.push({ check: 'os.version', ok: false, reason: `OS version "${os.version}" could not be read` });
  } else if (compareVersions(reported, min) < 0) {
    checks.push({ check: 'os.version', ok: false, reason: `${os.distro || os.id} ${reported} is older than the minimum ${min}` });
  } else {
    checks.push({ check: 'os.version', ok: true, reason: `${os.distro || os.id} ${reported} (minimum ${min})` });
  }

  // Last patch: from the reported date, not the agent's own day count.
  const patch = findFact(r, 'patch.lastInstalled');
  const date = isRecord(patch?.value) && typeof patch.value.date === 'string' ? Date.parse(patch.value.date) : Number.NaN;
  let patchAgeDays: number | undefined;
  if (!Number.isFinite(date)) {
    checks.push({ check: 'patch.lastInstalled', ok: false, reason: `date of the last update is unknown${patch?.reason ? ` (${patch.reason})` : ''}` });
  } else if (date > now + 86_400_000) {
    checks.push({ check: 'patch.lastInstalled', ok: false, reason: 'last update is dated in the future' });
  } else {
    patchAgeDays = Math.max(0, Math.floor((now - date) / 86_400_000));
    const ok = patchAgeDays <= policy.maxDaysSinceLastPatch;
    checks.push({ check: 'patch.lastInstalled', ok, reason: `last update ${patchAgeDays} days ago (maximum ${policy.maxDaysSinceLastPatch})` });
  }

  if (policy.requireDiskEncryption) {
    const disk = findFact(r, 'disk.encryption');
    const enc = isRecord(disk?.value) ? disk.value.encrypted : undefined;
    if (enc === true) checks.push({ check: 'disk.encryption', ok: true, reason: disk?.reason ?? 'system disk encrypted' });
    else if (enc === false) checks.push({ check: 'disk.encryption', ok: false, reason: `system disk is not encrypted${disk?.reason ? ` (${disk.reason})` : ''}` });
    else checks.push({ check: 'disk.encryption', ok: false, reason: `disk encryption state is unknown${disk?.reason ? ` (${disk.reason})` : ''}` });
  }

  const failures = checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.reason}`);
  if (failures.length) return { level: 'non-compliant', compliant: false, checks, failures };

  const extra = policy.highlyCompliant.requireFacts.filter((id) => findFact(r, id)?.status !== 'pass');
  const fresh = patchAgeDays !== undefined && patchAgeDays <= policy.highlyCompliant.maxDaysSinceLastPatch;
  const level = extra.length === 0 && fresh ? 'highly-compliant' : 'compliant';
  return { level, compliant: true, checks, failures };
}
