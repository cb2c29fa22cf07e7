import { checkInput, fail, ok, type Parsed } from './result.ts';

/** A GVariant boolean as `gsettings get` prints it. */
export function parseGsettingsBool(text: string): Parsed<boolean> {
  const bad = checkInput(text, 'gsettings');
  if (bad) return fail(bad);
  const t = text.trim();
  if (t === 'true') return ok(true);
  if (t === 'false') return ok(false);
  return fail(`gsettings: expected true/false, got "${t.slice(0, 80)}"`);
}

/** A GVariant unsigned integer: "uint32 300" (or a bare number on older GLib). */
export function parseGsettingsUint(text: string): Parsed<number> {
  const bad = checkInput(text, 'gsettings');
  if (bad) return fail(bad);
  const m = /^(?:uint32 )?(\d{1,10})$/.exec(text.trim());
  if (!m || +m[1]! > 0xffffffff) return fail(`gsettings: expected uint32, got "${text.trim().slice(0, 80)}"`);
  return ok(+m[1]!);
}
