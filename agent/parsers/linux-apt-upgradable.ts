import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface AptUpgradable {
  total: number;
  security: number;
  packages: Array<{ name: string; suites: string[]; version: string; from: string; security: boolean }>;
}

/** `apt list --upgradable` (C locale): "name/suite[,suite] version arch [upgradable from: old]". */
export function parseAptUpgradable(text: string): Parsed<AptUpgradable> {
  const bad = checkInput(text, 'apt list');
  if (bad) return fail(bad);
  const all = lines(text);
  if (!all.some((l) => /^Listing\.\.\./.test(l))) return fail('apt list: no "Listing..." header (not apt list output)');
  const packages: AptUpgradable['packages'] = [];
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.trimEnd();
    if (line === '' || /^Listing\.\.\./.test(line) || /^N: /.test(line)) continue;
    if (/^WARNING: apt does not have a stable CLI interface/.test(line)) continue;
    const m = /^([a-z0-9][a-z0-9+.-]*)\/(\S+) (\S+) (\S+) \[upgradable from: ([^\]]+)\]$/.exec(line);
    if (!m) return fail(`apt list: line ${i + 1} is not a package line`);
    const suites = m[2]!.split(',');
    const security = suites.some((s) => /-security$/.test(s) || s === 'security');
    packages.push({ name: m[1]!, suites, version: m[3]!, from: m[5]!, security });
  }
  return ok({ total: packages.length, security: packages.filter((p) => p.security).length, packages });
}
