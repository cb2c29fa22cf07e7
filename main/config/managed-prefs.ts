/**
 * macOS configuration profiles (Jamf, Intune): the managed preferences of the domain com.parley.desktop,
 * which macOS writes to /Library/Managed Preferences/com.parley.desktop.plist (root-owned; a user cannot
 * write there). Keys and nesting are those of policy.json (`gateway` is a dict with `host` and `port`).
 *
 * An XML plist is parsed by plist.ts. A binary plist (macOS may store the file that way) is first converted
 * with /usr/bin/plutil, which exists only on macOS; elsewhere it is a configuration error, never skipped.
 */
import { execFile } from 'node:child_process';
import { decodeUtf8, readSmallFile } from './read-file.ts';
import { parsePlist } from './plist.ts';
import { fail, type LoadResult } from './schema.ts';

export const MANAGED_DOMAIN = 'com.parley.desktop';
export const MANAGED_PREFS_PATH = `/Library/Managed Preferences/${MANAGED_DOMAIN}.plist`;
const BINARY_MAGIC = 'bplist00';

function plutilToXml(file: string): Promise<{ ok: true; text: string } | { ok: false; problem: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/plutil', ['-convert', 'xml1', '-o', '-', '--', file], { timeout: 15_000, maxBuffer: 1024 * 1024 }, (err, stdout) => {
      if (err) resolve({ ok: false, problem: 'is a binary plist that /usr/bin/plutil could not convert' });
      else resolve({ ok: true, text: String(stdout) });
    });
  });
}

/** Parses managed-preferences text (XML plist) into the raw policy object. */
export function rawPolicyFromPlistText(text: string, source: string): LoadResult<unknown> {
  const p = parsePlist(text);
  if (!p.ok) return fail(source, '(file)', `is not a valid XML plist (${p.problem})`);
  const v = p.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date || v instanceof Uint8Array) {
    return fail(source, '(root)', 'the plist is not a dict');
  }
  return { ok: true, value: v };
}

/** Reads the managed preferences; `missing` when no profile delivers the domain. */
export async function readManagedPreferences(
  file = MANAGED_PREFS_PATH,
  platform: NodeJS.Platform = process.platform,
): Promise<LoadResult<unknown> | 'missing'> {
  const raw = await readSmallFile(file);
  if (raw === 'missing' || !raw.ok) return raw;
  if (raw.value.subarray(0, BINARY_MAGIC.length).toString('latin1') === BINARY_MAGIC) {
    if (platform !== 'darwin') return fail(file, '(file)', 'is a binary plist; converting it needs macOS /usr/bin/plutil');
    const xml = await plutilToXml(file);
    if (!xml.ok) return fail(file, '(file)', xml.problem);
    return rawPolicyFromPlistText(xml.text, file);
  }
  const text = decodeUtf8(raw.value);
  if (text === null) return fail(file, '(file)', 'is not valid UTF-8 text');
  return rawPolicyFromPlistText(text, file);
}
