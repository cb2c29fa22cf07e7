/** Test helpers for the admin CLI run in-process: its printed output captured, passwords handed over in a file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/** Captures what the CLI writes to stdout and stderr until the spies are restored (vi.restoreAllMocks). */
export function captureOutput(): { readonly out: string; readonly err: string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  return { get out() { return out; }, get err() { return err; } };
}

/** Passwords come from a file (or stdin), never the command line: a 0600 file holding `pw` and a newline. */
export function passwordFile(pw: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gwpw-')), 'pw');
  writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return file;
}
