import { parseNumericDate, utcDate } from './dates.ts';
import { checkInput, fail, isRecord, lines, ok, parseJson, type Parsed } from './result.ts';

export interface HotFixList {
  count: number;
  /** Hotfixes with no readable install date (Windows leaves some blank). */
  undated: number;
  lastInstalled?: Date;
  lastId?: string;
}

const KB = /^KB\d{6,8}$/i;

function installedOn(v: unknown): Date | undefined | 'bad' {
  if (v === null || v === undefined || v === '') return undefined;
  if (isRecord(v)) return installedOn(v.value ?? v.DateTime);
  if (typeof v !== 'string') return 'bad';
  // Windows PowerShell 5.1 serializes DateTime as "\/Date(1712102400000)\/".
  const ms = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/.exec(v);
  if (ms) {
    const d = new Date(Number(ms[1]));
    return d.getUTCFullYear() >= 1990 && d.getUTCFullYear() <= 2200 ? d : 'bad';
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)?$/.exec(v);
  if (iso) return utcDate(+iso[1]!, +iso[2]!, +iso[3]!, +(iso[4] ?? 0), +(iso[5] ?? 0), +(iso[6] ?? 0)) ?? 'bad';
  return parseNumericDate(v.replace(/ \d{1,2}:\d{2}(:\d{2})?( [AP]M)?$/i, '')) ?? 'bad';
}

function collect(rows: Array<{ id: unknown; on: unknown }>, what: string): Parsed<HotFixList> {
  const out: HotFixList = { count: 0, undated: 0 };
  for (const [i, r] of rows.entries()) {
    if (typeof r.id !== 'string' || !KB.test(r.id.trim())) return fail(`${what}: row ${i + 1} has no KB id`);
    const when = installedOn(r.on);
    if (when === 'bad') return fail(`${what}: unreadable install date in row ${i + 1}`);
    out.count++;
    if (!when) out.undated++;
    else if (!out.lastInstalled || when > out.lastInstalled) {
      out.lastInstalled = when;
      out.lastId = r.id.trim().toUpperCase();
    }
  }
  return ok(out);
}

/** `Get-HotFix | Select HotFixID,InstalledOn | ConvertTo-Json` from PowerShell 5.1 or 7 (object or array). */
export function parseGetHotFixJson(text: string): Parsed<HotFixList> {
  const bad = checkInput(text, 'Get-HotFix');
  if (bad) return fail(bad);
  if (text.trim() === '') return fail('Get-HotFix: empty output');
  const j = parseJson(text, 'Get-HotFix');
  if (!j.ok) return j;
  const arr = Array.isArray(j.value) ? j.value : [j.value];
  if (!arr.every(isRecord)) return fail('Get-HotFix: rows are not objects');
  return collect(arr.map((r) => ({ id: r.HotFixID, on: r.InstalledOn })), 'Get-HotFix');
}

/** `wmic qfe get HotFixID,InstalledOn /format:csv`: "Node,HotFixID,InstalledOn" then one row per update. */
export function parseWmicQfeCsv(text: string): Parsed<HotFixList> {
  const bad = checkInput(text, 'wmic qfe');
  if (bad) return fail(bad);
  const rows = lines(text).map((l) => l.trim()).filter((l) => l !== '');
  const header = rows[0]?.split(',');
  if (!header || header[0] !== 'Node') return fail('wmic qfe: no "Node,..." CSV header');
  const idCol = header.indexOf('HotFixID');
  const onCol = header.indexOf('InstalledOn');
  if (idCol < 0 || onCol < 0) return fail('wmic qfe: header lacks HotFixID/InstalledOn');
  const parsed: Array<{ id: unknown; on: unknown }> = [];
  for (const [i, row] of rows.slice(1).entries()) {
    const cells = row.split(',');
    if (cells.length !== header.length) return fail(`wmic qfe: row ${i + 2} has ${cells.length} cells, header has ${header.length}`);
    let on: unknown = cells[onCol];
    // Some builds print InstalledOn as a hex FILETIME ("01d9a3b4c5d6e7f8").
    if (typeof on === 'string' && /^[0-9a-f]{16}$/i.test(on)) {
      on = `/Date(${Number((BigInt(`0x${on}`) - 116444736000000000n) / 10000n)})/`;
    }
    parsed.push({ id: cells[idCol], on });
  }
  return collect(parsed, 'wmic qfe');
}
