import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixture } from '../testing/fixtures.ts';
import { parseAptHistory } from './linux-apt-history.ts';
import { parseAptUpgradable } from './linux-apt-upgradable.ts';
import { parseDnfCheckUpdate, parseDnfSecurityList } from './linux-dnf.ts';
import { parseDpkgLog } from './linux-dpkg-log.ts';
import { parseFirewalldState, parseNftRuleset, parseUfwStatus } from './linux-firewall.ts';
import { parseGsettingsBool, parseGsettingsUint } from './linux-gsettings.ts';
import { parseLsblkRoot } from './linux-lsblk.ts';
import { parseOsRelease } from './linux-os-release.ts';
import { parseRpmLast } from './linux-rpm-last.ts';
import { parseMokutilSbState, parseSecureBootEfivar } from './linux-secureboot.ts';
import { parseFdesetupStatus } from './macos-fdesetup.ts';
import { parseSocketFilterFwState, parseSysadminctlScreenLock } from './macos-firewall.ts';
import { parseIoregPlatform, parseSystemProfilerHardware, parseSystemProfilerSecureBoot } from './macos-hardware.ts';
import { parseSoftwareUpdateHistory, parseSoftwareUpdateList } from './macos-softwareupdate.ts';
import { parseSwVers } from './macos-sw-vers.ts';
import type { Parsed } from './result.ts';
import { parseNetFirewallProfiles, parseNetshFirewallState } from './windows-firewall.ts';
import { parseGetHotFixJson, parseWmicQfeCsv } from './windows-hotfix.ts';
import { parseManageBdeStatus } from './windows-manage-bde.ts';
import { parseRegQuery } from './windows-reg.ts';
import { parseWindowsUpdateSearch } from './windows-update-search.ts';

const PARSERS: Record<string, (t: string) => Parsed<unknown>> = {
  parseAptHistory, parseAptUpgradable, parseDpkgLog, parseUfwStatus, parseNftRuleset, parseGsettingsBool, parseGsettingsUint,
  parseLsblkRoot, parseOsRelease, parseRpmLast, parseMokutilSbState, parseSecureBootEfivar, parseDnfSecurityList,
  parseDnfCheckUpdate: (t) => parseDnfCheckUpdate(t, 100),
  parseFirewalldState: (t) => parseFirewalldState(t, 0),
  parseFdesetupStatus, parseSocketFilterFwState, parseSysadminctlScreenLock, parseIoregPlatform, parseSystemProfilerHardware,
  parseSystemProfilerSecureBoot, parseSoftwareUpdateHistory, parseSoftwareUpdateList, parseSwVers,
  parseNetFirewallProfiles, parseNetshFirewallState, parseGetHotFixJson, parseWmicQfeCsv, parseManageBdeStatus, parseRegQuery,
  parseWindowsUpdateSearch,
};

const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));
const allFixtures = ['linux', 'darwin', 'win32'].flatMap((os) => readdirSync(fixturesDir + os).map((f) => `${os}/${f}`));

const HOSTILE: string[] = [
  '',
  ' ',
  '\n\n\n',
  '\u0000\u0001\u0002',
  '\uFEFF',
  '{}',
  '[]',
  'null',
  '{"__proto__":{"polluted":true}}',
  '[' .repeat(10_000),
  '{"blockdevices":[' + '{"name":"a","type":"disk","children":['.repeat(3000),
  'A'.repeat(5 * 1024 * 1024),
  'Start-Date: 9999-99-99  99:99:99',
  '\u202Eevil\u202C',
  'x\r\ny\rz\n',
];

describe('every parser on hostile input', () => {
  for (const [name, parse] of Object.entries(PARSERS)) {
    it(`${name} never throws; oversized input is refused`, () => {
      for (const input of HOSTILE) {
        let r: Parsed<unknown> | undefined;
        expect(() => (r = parse(input)), `${name} on ${JSON.stringify(input.slice(0, 20))}`).not.toThrow();
        expect(typeof r?.ok).toBe('boolean');
      }
      // Oversized input is always refused.
      expect(parse('A'.repeat(5 * 1024 * 1024)).ok).toBe(false);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('every parser survives every fixture and every truncation of it', () => {
    for (const file of allFixtures) {
      const text = fixture(file);
      const cuts = [0, 1, Math.floor(text.length / 3), Math.floor(text.length / 2), text.length - 1];
      for (const [name, parse] of Object.entries(PARSERS)) {
        for (const cut of cuts) {
          expect(() => parse(text.slice(0, cut)), `${name} on ${file}[0..${cut}]`).not.toThrow();
        }
      }
    }
  });

  it('non-string input is refused, not crashed on', () => {
    for (const parse of Object.values(PARSERS)) {
      for (const v of [undefined, null, 42, {}, Buffer.from('x')]) {
        expect(parse(v as unknown as string).ok).toBe(false);
      }
    }
  });
});
