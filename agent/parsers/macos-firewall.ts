import { checkInput, fail, ok, type Parsed } from './result.ts';

/** `/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate`: "Firewall is enabled. (State = 1)". */
export function parseSocketFilterFwState(text: string): Parsed<{ enabled: boolean; blockAll: boolean; state: number }> {
  const bad = checkInput(text, 'socketfilterfw');
  if (bad) return fail(bad);
  const m = /\(State = (\d)\)/.exec(text);
  if (!m) return fail(`socketfilterfw: no "(State = N)" in "${text.trim().slice(0, 80)}"`);
  const state = +m[1]!;
  if (state > 2) return fail(`socketfilterfw: unknown state ${state}`);
  return ok({ enabled: state >= 1, blockAll: state === 2, state });
}

/**
 * `sysadminctl -screenLock status` (on stderr, behind a log prefix): "screenLock delay is immediate",
 * "screenLock delay is 300 seconds", "screenLock is off", "screenLock delay is -1.000000 seconds" (off).
 */
export function parseSysadminctlScreenLock(text: string): Parsed<{ enabled: boolean; delaySeconds?: number }> {
  const bad = checkInput(text, 'sysadminctl');
  if (bad) return fail(bad);
  // Disabled shows up as "is off", "delay is off" or a delay of -1 depending on the macOS release.
  if (/screenLock is off|screenLock delay is off|screenLock delay is -1(\.0+)? seconds?/.test(text)) return ok({ enabled: false });
  if (/screenLock delay is immediate/.test(text)) return ok({ enabled: true, delaySeconds: 0 });
  const m = /screenLock delay is (\d{1,7})(?:\.\d+)? seconds?/.exec(text);
  if (m) return ok({ enabled: true, delaySeconds: +m[1]! });
  return fail(`sysadminctl: unrecognized output "${text.trim().slice(0, 80)}"`);
}
