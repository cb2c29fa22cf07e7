import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export type RegValue = { type: 'REG_DWORD' | 'REG_QWORD'; value: number } | { type: 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_BINARY'; value: string };

export type RegQuery = { found: false } | { found: true; key: string; values: Record<string, RegValue> };

// reg.exe's "not found" error, English and German.
const NOT_FOUND = /unable to find the specified registry key or value|angegebene Registrierungsschlüssel bzw\. Wert wurde nicht gefunden/i;

/**
 * `reg query <key> [/v name]`: the key path, then "    Name    REG_TYPE    data" rows. A missing key or value is
 * an answer ({found:false}), not an error — policy keys are absent on most machines.
 */
export function parseRegQuery(text: string): Parsed<RegQuery> {
  const bad = checkInput(text, 'reg query');
  if (bad) return fail(bad);
  if (NOT_FOUND.test(text)) return ok({ found: false });
  const all = lines(text);
  const keyLine = all.find((l) => /^HKEY_[A-Z_]+\\/.test(l.trim()) || /^HKEY_[A-Z_]+$/.test(l.trim()));
  if (!keyLine) return fail('reg query: no registry key line');
  const values: Record<string, RegValue> = {};
  for (const [i, raw] of all.entries()) {
    if (!/^ {4}\S/.test(raw)) continue;
    const m = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(raw.trimEnd());
    if (!m) return fail(`reg query: line ${i + 1} is not "name  REG_TYPE  data"`);
    const name = m[1] === '(Default)' || m[1] === '(Standard)' ? '' : m[1]!;
    const type = m[2]!;
    const data = m[3] ?? '';
    if (type === 'REG_DWORD' || type === 'REG_QWORD') {
      if (!/^0x[0-9a-f]{1,16}$/i.test(data)) return fail(`reg query: bad ${type} "${data.slice(0, 30)}"`);
      values[name] = { type, value: Number(BigInt(data)) };
    } else if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ' || type === 'REG_MULTI_SZ' || type === 'REG_BINARY') {
      values[name] = { type, value: data };
    } else {
      return fail(`reg query: unsupported type ${type.slice(0, 30)}`);
    }
  }
  return ok({ found: true, key: keyLine.trim(), values });
}
