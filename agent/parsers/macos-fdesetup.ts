import { checkInput, fail, ok, type Parsed } from './result.ts';

export interface FileVaultStatus {
  state: 'on' | 'off' | 'encrypting' | 'decrypting' | 'deferred';
  percent?: number;
}

/**
 * `fdesetup status` (not localized): "FileVault is On." / "FileVault is Off." / "Encryption in progress:
 * Percent completed = 34.52" / "Decryption in progress: ..." / "FileVault is Off, but will be enabled after
 * the next restart."
 */
export function parseFdesetupStatus(text: string): Parsed<FileVaultStatus> {
  const bad = checkInput(text, 'fdesetup');
  if (bad) return fail(bad);
  const t = text.trim();
  const pct = /Percent completed = (\d{1,3}(?:\.\d+)?)/.exec(t);
  const percent = pct ? Number(pct[1]) : undefined;
  if (percent !== undefined && !(percent >= 0 && percent <= 100)) return fail('fdesetup: percent out of range');
  if (/^Encryption in progress/m.test(t)) return ok({ state: 'encrypting', ...(percent !== undefined ? { percent } : {}) });
  if (/^Decryption in progress/m.test(t)) return ok({ state: 'decrypting', ...(percent !== undefined ? { percent } : {}) });
  if (/^FileVault is Off, but will be enabled after the next restart\.?$/m.test(t)) return ok({ state: 'deferred' });
  if (/^FileVault is On\.$/m.test(t)) return ok({ state: 'on' });
  if (/^FileVault is Off\.$/m.test(t)) return ok({ state: 'off' });
  return fail(`fdesetup: unrecognized output "${t.slice(0, 80)}"`);
}
