import { parseNumericDate } from './dates.ts';
import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface SoftwareUpdateHistory {
  entries: Array<{ name: string; version: string; date: string; osPatch: boolean }>;
  /** Latest install that patches the OS or its bundled apps (not background definition data). */
  lastOsPatch?: Date;
  lastAny?: Date;
}

// Background definition feeds install silently every few days; counting them would make any Mac look patched.
const DEFINITION_DATA = /ConfigData|XProtect|MRT|Gatekeeper|Compatibility Data|Chinese Word List|Bridge OS Assets/i;

/**
 * `softwareupdate --history`: a column table "Display Name  Version  Date" whose date is localized
 * (04/03/2024, 10:12:49 — 03.04.2024, 10:12:49 — 2024/04/03, 10:12:49).
 */
export function parseSoftwareUpdateHistory(text: string): Parsed<SoftwareUpdateHistory> {
  const bad = checkInput(text, 'softwareupdate --history');
  if (bad) return fail(bad);
  const all = lines(text);
  // The column header is followed by a rule of dashes on the releases we have seen; accept either as the start.
  let rule = all.findIndex((l) => /^-{3,}\s+-{3,}\s+-{3,}\s*$/.test(l));
  if (rule < 0) rule = all.findIndex((l) => /^Display Name\s{2,}Version\s{2,}Date\s*$/.test(l));
  if (rule < 0) return fail('softwareupdate --history: no column header');
  const out: SoftwareUpdateHistory = { entries: [] };
  for (let i = rule + 1; i < all.length; i++) {
    const line = all[i]!.trimEnd();
    if (line.trim() === '') continue;
    const cols = line.trim().split(/\s{2,}/);
    if (cols.length < 2 || cols.length > 3) return fail(`softwareupdate --history: line ${i + 1} has ${cols.length} columns`);
    const name = cols[0]!;
    const version = cols.length === 3 ? cols[1]! : '';
    const dateText = cols[cols.length - 1]!;
    const when = parseNumericDate(dateText.replace(/,\s*/, ' '));
    if (!when) return fail(`softwareupdate --history: unrecognized date "${dateText.slice(0, 40)}" on line ${i + 1}`);
    const osPatch = !DEFINITION_DATA.test(name);
    out.entries.push({ name, version, date: when.toISOString(), osPatch });
    if (!out.lastAny || when > out.lastAny) out.lastAny = when;
    if (osPatch && (!out.lastOsPatch || when > out.lastOsPatch)) out.lastOsPatch = when;
  }
  return ok(out);
}

export interface SoftwareUpdateList {
  total: number;
  security: number;
  updates: Array<{ label: string; title: string; recommended: boolean; restart: boolean; security: boolean }>;
}

// "No new software available." as softwareupdate prints it in the languages IT has sent us so far.
const NONE_AVAILABLE = [
  /^No new software available\.?$/m,
  /^Keine neue Software verfügbar\.?$/m,
  /^Aucun nouveau logiciel disponible\.?$/m,
  /^No hay software nuevo disponible\.?$/m,
];
const SECURITY_TITLE = /macOS|Security|Safari|XProtect|Background Security Improvement/i;

/**
 * `softwareupdate --list` (stdout and stderr together): "* Label: X" items each followed by a tab-indented
 * "Title: ..., Version: ..., Size: ..., Recommended: YES, Action: restart," line. Apple does not tag security
 * content, so OS, Safari and security-named items and anything requiring a restart count as security.
 */
export function parseSoftwareUpdateList(text: string): Parsed<SoftwareUpdateList> {
  const bad = checkInput(text, 'softwareupdate --list');
  if (bad) return fail(bad);
  const all = lines(text);
  const updates: SoftwareUpdateList['updates'] = [];
  for (let i = 0; i < all.length; i++) {
    const m = /^\s*\* Label: (.+)$/.exec(all[i]!);
    if (!m) continue;
    const detail = all[i + 1] ?? '';
    const t = /^\s+Title: (.*?), Version: .*$/.exec(detail);
    if (!t) return fail(`softwareupdate --list: label on line ${i + 1} has no Title line`);
    const title = t[1]!;
    const recommended = /Recommended: YES/.test(detail);
    const restart = /Action: restart/.test(detail);
    updates.push({ label: m[1]!.trim(), title, recommended, restart, security: restart || SECURITY_TITLE.test(title) });
    i++;
  }
  if (updates.length === 0 && !NONE_AVAILABLE.some((r) => r.test(text))) {
    return fail('softwareupdate --list: neither updates nor a recognized "no new software" line');
  }
  return ok({ total: updates.length, security: updates.filter((u) => u.security).length, updates });
}
