import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface DnfCheckUpdate {
  total: number;
  packages: Array<{ name: string; arch: string; version: string; repo: string }>;
}

/**
 * `dnf check-update` (exit 100 = updates, 0 = none): "name.arch  version  repo" rows, optionally followed by an
 * "Obsoleting Packages" section whose rows are not counted again.
 */
export function parseDnfCheckUpdate(text: string, exitCode: number): Parsed<DnfCheckUpdate> {
  const bad = checkInput(text, 'dnf check-update');
  if (bad) return fail(bad);
  if (exitCode !== 0 && exitCode !== 100) return fail(`dnf check-update: exit code ${exitCode} (error)`);
  const packages: DnfCheckUpdate['packages'] = [];
  let obsoleting = false;
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.trimEnd();
    if (line.trim() === '') continue;
    if (/^Last metadata expiration check:/.test(line) || /^Updating and loading repositories:|^Repositories loaded\.$/.test(line)) continue;
    if (/^Obsoleting Packages$/.test(line)) {
      obsoleting = true;
      continue;
    }
    const m = /^\s*(\S+)\.([A-Za-z0-9_]+)\s+(\S+)\s+(\S+)$/.exec(line);
    if (!m) return fail(`dnf check-update: line ${i + 1} is not "name.arch version repo"`);
    if (obsoleting) continue;
    packages.push({ name: m[1]!, arch: m[2]!, version: m[3]!, repo: m[4]! });
  }
  if (exitCode === 100 && packages.length === 0) return fail('dnf check-update: exit 100 but no package rows');
  if (exitCode === 0 && packages.length > 0) return fail('dnf check-update: exit 0 but package rows listed');
  return ok({ total: packages.length, packages });
}

export interface DnfSecurityList {
  advisories: number;
  packages: number;
}

/**
 * `dnf updateinfo list --security` rows. dnf4: "FEDORA-2024-1a2b3c Moderate/Sec. curl-8.2.1-4.fc39.x86_64";
 * dnf5: "FEDORA-2024-1a2b3c security Moderate curl-8.2.1-4.fc39.x86_64 2024-03-01 02:11:29" under a
 * "Name Type Severity Package Issued" header.
 */
export function parseDnfSecurityList(text: string): Parsed<DnfSecurityList> {
  const bad = checkInput(text, 'dnf updateinfo');
  if (bad) return fail(bad);
  const advisories = new Set<string>();
  const pkgs = new Set<string>();
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.trim();
    if (line === '' || /^Last metadata expiration check:/.test(line) || /^Name\s+Type\s+Severity\s+Package/.test(line)) continue;
    if (/^Updating and loading repositories:|^Repositories loaded\.$/.test(line)) continue;
    let m = /^(\S+)\s+(?:\S+\/Sec\.|Security)\s+(\S+)$/i.exec(line);
    if (!m) m = /^(\S+)\s+security\s+\S+\s+(\S+)(?:\s+\d{4}-\d{2}-\d{2}.*)?$/i.exec(line);
    if (!m) return fail(`dnf updateinfo: line ${i + 1} is not a security advisory row`);
    advisories.add(m[1]!);
    pkgs.add(m[2]!);
  }
  return ok({ advisories: advisories.size, packages: pkgs.size });
}
