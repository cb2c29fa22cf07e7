/**
 * Windows Group Policy / Intune: machine policy under HKLM\SOFTWARE\Policies\Parley, one value per policy
 * key, named like the key (`gateway.host`, `spkiPins`, …; see schema.ts policyLeaves()).
 *
 * The key is read with `reg.exe export` to a private temp file and that .reg file is parsed here: an export
 * is UTF-16LE (so a publisher name with accents survives, unlike `reg query`, which prints in the console's
 * code page) and carries each value's type exactly (dword:, hex(7): for REG_MULTI_SZ). Values map onto the
 * same raw object shape as policy.json and then go through the one strict schema.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSmallFile } from './read-file.ts';
import { fail, policyLeaves, type LoadResult, type PolicyLeaf } from './schema.ts';

export const POLICY_KEY = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Parley';
export const POLICY_KEY_SHORT = 'HKLM\\SOFTWARE\\Policies\\Parley';
const MAX_EXPORT_BYTES = 256 * 1024;
const MAX_VALUES = 64;

export type RegValue =
  | { type: 'REG_SZ'; data: string }
  | { type: 'REG_EXPAND_SZ'; data: string }
  | { type: 'REG_DWORD'; data: number }
  | { type: 'REG_MULTI_SZ'; data: string[] }
  | { type: 'other'; data: string };

export interface RegKeyExport {
  key: string;
  values: Array<{ name: string; value: RegValue }>;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };
const bad = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

/** Decodes the bytes `reg export` writes: UTF-16LE with a byte-order mark. */
export function decodeRegExport(bytes: Uint8Array): Parsed<string> {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xfe) return bad('is not a reg export (no UTF-16LE byte-order mark)');
  if (bytes.length % 2 !== 0) return bad('is truncated (odd number of bytes in UTF-16 text)');
  try {
    return { ok: true, value: new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(2)) };
  } catch {
    return bad('is not valid UTF-16LE text');
  }
}

function parseQuoted(s: string, from: number): Parsed<{ text: string; end: number }> {
  if (s[from] !== '"') return bad('expected a quoted string');
  let out = '';
  for (let i = from + 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return { ok: true, value: { text: out, end: i + 1 } };
    if (c === '\\') {
      const n = s[i + 1];
      if (n !== '\\' && n !== '"') return bad(`unknown escape \\${n ?? ''} in a quoted string`);
      out += n;
      i++;
    } else out += c;
  }
  return bad('unterminated quoted string');
}

function hexBytes(list: string): Parsed<Buffer> {
  const parts = list.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return { ok: true, value: Buffer.alloc(0) };
  const out = Buffer.alloc(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{2}$/.test(p)) return bad('a hex value list holds something that is not a byte');
    out[i] = parseInt(p, 16);
  }
  return { ok: true, value: out };
}

function multiSz(bytes: Buffer): Parsed<string[]> {
  if (bytes.length % 2 !== 0) return bad('REG_MULTI_SZ data has an odd number of bytes');
  let text: string;
  try {
    text = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return bad('REG_MULTI_SZ data is not valid UTF-16LE');
  }
  // Strings end with NUL and the list with one more; tolerate a missing final terminator.
  const items = text.split('\0');
  while (items.length && items[items.length - 1] === '') items.pop();
  return { ok: true, value: items };
}

function parseData(raw: string): Parsed<RegValue> {
  if (raw.startsWith('"')) {
    const q = parseQuoted(raw, 0);
    if (!q.ok) return q;
    if (q.value.end !== raw.length) return bad('text after a quoted string');
    return { ok: true, value: { type: 'REG_SZ', data: q.value.text } };
  }
  if (raw.startsWith('dword:')) {
    const h = raw.slice(6);
    if (!/^[0-9a-fA-F]{8}$/.test(h)) return bad('a dword is not 8 hex digits');
    return { ok: true, value: { type: 'REG_DWORD', data: parseInt(h, 16) } };
  }
  const m = /^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$/s.exec(raw);
  if (m) {
    const bytes = hexBytes(m[2]!);
    if (!bytes.ok) return bytes;
    const kind = m[1]?.toLowerCase();
    if (kind === '7') {
      const list = multiSz(bytes.value);
      return list.ok ? { ok: true, value: { type: 'REG_MULTI_SZ', data: list.value } } : list;
    }
    if (kind === '2') {
      const list = multiSz(bytes.value);
      return list.ok ? { ok: true, value: { type: 'REG_EXPAND_SZ', data: list.value[0] ?? '' } } : list;
    }
    return { ok: true, value: { type: 'other', data: `hex(${kind ?? '3'})` } };
  }
  return bad('a value of a type reg export does not write');
}

/** Parses the text of a `reg export` (.reg, version 5) holding one key and no subkeys. */
export function parseRegExport(text: string): Parsed<RegKeyExport> {
  // Continuation lines (long hex lists) end with a backslash.
  const lines = text.replace(/\\\r?\n[ \t]*/g, '').split(/\r?\n/);
  if (lines[0] !== 'Windows Registry Editor Version 5.00') return bad('does not start with the reg export header');
  let key: string | null = null;
  const values: RegKeyExport['values'] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) return bad(`line ${i + 1}: a key header without its closing bracket`);
      const name = line.slice(1, -1);
      if (key !== null) return bad(`holds a subkey (${name}); Parley's policy is values only`);
      key = name;
      continue;
    }
    if (key === null) return bad(`line ${i + 1}: a value before any key`);
    if (line.startsWith('@=')) return bad('holds a default value (@); Parley reads named values only');
    const name = parseQuoted(line, 0);
    if (!name.ok) return bad(`line ${i + 1}: ${name.problem}`);
    if (line[name.value.end] !== '=') return bad(`line ${i + 1}: expected = after the value name`);
    const data = parseData(line.slice(name.value.end + 1));
    if (!data.ok) return bad(`line ${i + 1} (${name.value.text}): ${data.problem}`);
    values.push({ name: name.value.text, value: data.value });
    if (values.length > MAX_VALUES) return bad(`holds more than ${MAX_VALUES} values`);
  }
  if (key === null) return bad('holds no key');
  return { ok: true, value: { key, values } };
}

const WANTED: Record<PolicyLeaf['type']['kind'], RegValue['type']> = {
  string: 'REG_SZ',
  choice: 'REG_SZ',
  integer: 'REG_DWORD',
  'string-list': 'REG_MULTI_SZ',
};

/** Maps the key's values onto the raw policy object (checked by the schema afterwards). */
export function registryToRawPolicy(exp: RegKeyExport, source = POLICY_KEY_SHORT): LoadResult<Record<string, unknown>> {
  if (exp.key.toUpperCase() !== POLICY_KEY.toUpperCase()) return fail(source, '(key)', `the export is of ${exp.key}, not ${POLICY_KEY}`);
  // Registry value names are case-insensitive: `Gateway.Host` is the same value as `gateway.host`.
  const leaves = new Map(policyLeaves().map((l) => [l.key.toLowerCase(), l]));
  const seen = new Set<string>();
  const raw: Record<string, unknown> = {};
  for (const { name, value } of exp.values) {
    const leaf = leaves.get(name.toLowerCase());
    if (!leaf) return fail(source, name, 'is not a Parley policy value (unknown setting)');
    if (seen.has(leaf.key)) return fail(source, name, 'appears twice');
    seen.add(leaf.key);
    const want = WANTED[leaf.type.kind];
    if (value.type !== want) return fail(source, leaf.key, `is ${value.type === 'other' ? value.data : value.type}; expected ${want}`);
    const parts = leaf.key.split('.');
    let at = raw;
    for (const p of parts.slice(0, -1)) {
      if (!Object.hasOwn(at, p)) at[p] = {};
      at = at[p] as Record<string, unknown>;
    }
    at[parts[parts.length - 1]!] = value.data;
  }
  return { ok: true, value: raw };
}

/** Parses the bytes of a reg export of the policy key into the raw policy object. */
export function rawPolicyFromRegExport(bytes: Uint8Array, source = POLICY_KEY_SHORT): LoadResult<Record<string, unknown>> {
  const text = decodeRegExport(bytes);
  if (!text.ok) return fail(source, '(export)', text.problem);
  const exp = parseRegExport(text.value);
  if (!exp.ok) return fail(source, '(export)', exp.problem);
  return registryToRawPolicy(exp.value, source);
}

function run(file: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000, windowsHide: true, maxBuffer: 1024 * 1024 }, (err, stdout) => {
      const exit = (err as { code?: unknown } | null)?.code;
      const code = err ? (typeof exit === 'number' ? exit : null) : 0;
      resolve({ code, stdout: String(stdout) });
    });
  });
}

/**
 * Reads the policy key on Windows. Missing key = no OS policy. Any other failure is a configuration error:
 * an unreadable policy must never look like an absent one (that would loosen what IT set).
 */
export async function readRegistryPolicy(env: NodeJS.ProcessEnv = process.env): Promise<LoadResult<unknown> | 'missing'> {
  // The absolute path: a reg.exe planted earlier on PATH must not answer for the registry.
  const reg = path.win32.join(env.SystemRoot ?? 'C:\\Windows', 'System32', 'reg.exe');
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-reg-'));
  try {
    const out = path.join(dir, 'policy.reg');
    const exp = await run(reg, ['export', POLICY_KEY_SHORT, out, '/y', '/reg:64']);
    if (exp.code !== 0) {
      // Tell "no such key" from "could not export" by listing the parent's subkeys (key paths, one a line).
      const parent = await run(reg, ['query', 'HKLM\\SOFTWARE\\Policies', '/reg:64']);
      if (parent.code !== 0) return fail(POLICY_KEY_SHORT, '(key)', 'reg.exe could not read HKLM\\SOFTWARE\\Policies');
      const exists = parent.stdout.split(/\r?\n/).some((l) => l.trim().toUpperCase() === POLICY_KEY.toUpperCase());
      return exists ? fail(POLICY_KEY_SHORT, '(key)', 'exists but reg.exe could not export it') : 'missing';
    }
    const bytes = await readSmallFile(out, MAX_EXPORT_BYTES);
    if (bytes === 'missing') return fail(POLICY_KEY_SHORT, '(key)', 'reg.exe wrote no export');
    if (!bytes.ok) return fail(POLICY_KEY_SHORT, '(export)', bytes.error.problem);
    return rawPolicyFromRegExport(bytes.value);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
