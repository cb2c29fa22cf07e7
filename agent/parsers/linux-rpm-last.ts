import { monthFromName, utcDate } from './dates.ts';
import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface RpmLast {
  packages: number;
  lastInstalled?: Date;
  lastPackage?: string;
}

/** `rpm -qa --last` in the C locale: "name-version-release.arch   Tue Oct 10 08:12:34 2023". */
export function parseRpmLast(text: string): Parsed<RpmLast> {
  const bad = checkInput(text, 'rpm --last');
  if (bad) return fail(bad);
  const out: RpmLast = { packages: 0 };
  const all = lines(text);
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!.trimEnd();
    if (line === '') continue;
    const m = /^(\S+)\s{2,}\w{3} (\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(line);
    if (!m) return fail(`rpm --last: line ${i + 1} is not "package  date" (C locale)`);
    const mo = monthFromName(m[2]!);
    const when = mo ? utcDate(+m[7]!, mo, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : undefined;
    if (!when) return fail(`rpm --last: bad date on line ${i + 1}`);
    out.packages++;
    if (!out.lastInstalled || when > out.lastInstalled) {
      out.lastInstalled = when;
      out.lastPackage = m[1]!;
    }
  }
  if (out.packages === 0) return fail('rpm --last: no packages listed');
  return ok(out);
}
