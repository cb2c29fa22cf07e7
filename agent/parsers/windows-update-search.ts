import { checkInput, fail, isRecord, ok, parseJson, type Parsed } from './result.ts';

export interface PendingWindowsUpdates {
  total: number;
  security: number;
  updates: Array<{ title: string; kb: string[]; severity: string | null; security: boolean }>;
}

// Category ids are language-neutral, unlike the category names.
export const SECURITY_UPDATES_CATEGORY = '0fa1201d-4330-4fa8-8ae9-b877473b6441';
export const CRITICAL_UPDATES_CATEGORY = 'e6cf1350-c01b-414d-a61f-263d14d133b4';

/**
 * The agent's Windows Update Agent query (see collectors/win32.ts), always an object:
 * {"count":N,"updates":[{"Title","KBs":[...],"MsrcSeverity","Categories":[ids]}]}.
 */
export function parseWindowsUpdateSearch(text: string): Parsed<PendingWindowsUpdates> {
  const bad = checkInput(text, 'Windows Update');
  if (bad) return fail(bad);
  const j = parseJson(text, 'Windows Update');
  if (!j.ok) return j;
  const v = j.value;
  if (!isRecord(v) || typeof v.count !== 'number' || !Number.isInteger(v.count) || v.count < 0) {
    return fail('Windows Update: no integer "count"');
  }
  const raw = v.updates === null || v.updates === undefined ? [] : Array.isArray(v.updates) ? v.updates : [v.updates];
  if (raw.length !== v.count) return fail(`Windows Update: count ${v.count} but ${raw.length} updates listed`);
  const updates: PendingWindowsUpdates['updates'] = [];
  for (const [i, u] of raw.entries()) {
    if (!isRecord(u) || typeof u.Title !== 'string') return fail(`Windows Update: update ${i + 1} has no Title`);
    const cats = Array.isArray(u.Categories) ? u.Categories : u.Categories === undefined || u.Categories === null ? [] : [u.Categories];
    if (!cats.every((c) => typeof c === 'string')) return fail(`Windows Update: update ${i + 1} has bad Categories`);
    const kbs = Array.isArray(u.KBs) ? u.KBs : u.KBs === undefined || u.KBs === null ? [] : [u.KBs];
    const severity = typeof u.MsrcSeverity === 'string' && u.MsrcSeverity !== '' ? u.MsrcSeverity : null;
    const ids = (cats as string[]).map((c) => c.toLowerCase());
    updates.push({
      title: u.Title,
      kb: kbs.map((k) => `KB${String(k).replace(/^KB/i, '')}`),
      severity,
      security: ids.includes(SECURITY_UPDATES_CATEGORY) || ids.includes(CRITICAL_UPDATES_CATEGORY) || severity !== null,
    });
  }
  return ok({ total: updates.length, security: updates.filter((u) => u.security).length, updates });
}
