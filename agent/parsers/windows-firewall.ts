import { checkInput, fail, isRecord, ok, parseJson, type Parsed } from './result.ts';

export interface WindowsFirewallProfiles {
  profiles: Record<string, boolean>;
  allEnabled: boolean;
}

/**
 * `Get-NetFirewallProfile | Select Name,Enabled | ConvertTo-Json`. Enabled is a GpoBoolean that serializes
 * as 1/0 (PS 5.1), true/false, or "True"/"False" (-EnumsAsStrings); 2 = NotConfigured, which is not "on".
 */
export function parseNetFirewallProfiles(text: string): Parsed<WindowsFirewallProfiles> {
  const bad = checkInput(text, 'Get-NetFirewallProfile');
  if (bad) return fail(bad);
  const j = parseJson(text, 'Get-NetFirewallProfile');
  if (!j.ok) return j;
  const arr = Array.isArray(j.value) ? j.value : [j.value];
  if (arr.length === 0) return fail('Get-NetFirewallProfile: no profiles');
  const profiles: Record<string, boolean> = {};
  for (const [i, p] of arr.entries()) {
    if (!isRecord(p) || typeof p.Name !== 'string' || !/^(Domain|Private|Public)$/.test(p.Name)) {
      return fail(`Get-NetFirewallProfile: profile ${i + 1} has no known Name`);
    }
    const e = p.Enabled;
    let on: boolean;
    if (e === 1 || e === true || e === 'True') on = true;
    else if (e === 0 || e === 2 || e === false || e === 'False' || e === 'NotConfigured') on = false;
    else return fail(`Get-NetFirewallProfile: unrecognized Enabled value for ${p.Name}`);
    profiles[p.Name] = on;
  }
  return ok({ profiles, allEnabled: Object.values(profiles).every(Boolean) });
}

/** `netsh advfirewall show allprofiles state` in English or German: a "State ON/OFF" (Status EIN/AUS) per profile. */
export function parseNetshFirewallState(text: string): Parsed<WindowsFirewallProfiles> {
  const bad = checkInput(text, 'netsh');
  if (bad) return fail(bad);
  const profiles: Record<string, boolean> = {};
  const names: Array<[RegExp, string]> = [
    [/^(Domain Profile|Domänenprofil)/, 'Domain'],
    [/^(Private Profile|Privates Profil)/, 'Private'],
    [/^(Public Profile|Öffentliches Profil)/, 'Public'],
  ];
  let current: string | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    const n = names.find(([re]) => re.test(line));
    if (n) {
      current = n[1];
      continue;
    }
    const m = /^(State|Status)\s+(ON|OFF|EIN|AUS)$/i.exec(line);
    if (m && current) {
      profiles[current] = /^(ON|EIN)$/i.test(m[2]!);
      current = undefined;
    }
  }
  if (Object.keys(profiles).length === 0) return fail('netsh: no profile state found (unsupported language?)');
  return ok({ profiles, allEnabled: Object.values(profiles).every(Boolean) });
}
