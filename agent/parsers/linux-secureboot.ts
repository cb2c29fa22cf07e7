import { checkInput, fail, ok, type Parsed } from './result.ts';

export type SecureBootState = { enabled: boolean; setupMode?: boolean } | { enabled: false; noUefi: true };

/** `mokutil --sb-state`. */
export function parseMokutilSbState(text: string): Parsed<SecureBootState> {
  const bad = checkInput(text, 'mokutil');
  if (bad) return fail(bad);
  const t = text.trim();
  if (/^SecureBoot enabled$/m.test(t)) return ok({ enabled: true });
  if (/^SecureBoot disabled$/m.test(t)) return ok({ enabled: false, ...(/Setup Mode/i.test(t) ? { setupMode: true } : {}) });
  if (/EFI variables are not supported|doesn't support Secure Boot/i.test(t)) return ok({ enabled: false, noUefi: true });
  return fail(`mokutil: unrecognized output "${t.slice(0, 80)}"`);
}

/**
 * The SecureBoot EFI variable as efivarfs serves it: 4 attribute bytes, then one data byte (1 = enforcing).
 * Read as latin1 so each byte is one char.
 */
export function parseSecureBootEfivar(bytes: string): Parsed<{ enabled: boolean }> {
  if (typeof bytes !== 'string') return fail('efivar: input is not text');
  if (bytes.length !== 5) return fail(`efivar: expected 5 bytes, got ${bytes.length}`);
  const v = bytes.charCodeAt(4);
  if (v === 1) return ok({ enabled: true });
  if (v === 0) return ok({ enabled: false });
  return fail(`efivar: unexpected value byte 0x${v.toString(16)}`);
}
