import { parseIsoLike } from './dates.ts';
import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface DpkgLog {
  lines: number;
  lastUpgrade?: Date;
  lastUpgradePackage?: string;
}

/** /var/log/dpkg.log: "YYYY-MM-DD HH:MM:SS <action> ..."; an "upgrade" action is a package replaced by a newer one. */
export function parseDpkgLog(text: string): Parsed<DpkgLog> {
  const bad = checkInput(text, 'dpkg log');
  if (bad) return fail(bad);
  const all = lines(text);
  const out: DpkgLog = { lines: 0 };
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (\S+)(?: (.*))?$/.exec(line);
    if (!m) {
      // A tail read may start mid-line; only the very first line may be partial.
      if (i === 0) continue;
      return fail(`dpkg log: line ${i + 1} is not "date time action ..."`);
    }
    const when = parseIsoLike(m[1]!);
    if (!when) return fail(`dpkg log: bad timestamp on line ${i + 1}`);
    out.lines++;
    if (m[2] === 'upgrade' && (!out.lastUpgrade || when >= out.lastUpgrade)) {
      out.lastUpgrade = when;
      out.lastUpgradePackage = (m[3] ?? '').split(' ')[0];
    }
  }
  if (out.lines === 0 && all.some((l) => l.trim() !== '')) return fail('dpkg log: no log lines');
  return ok(out);
}
