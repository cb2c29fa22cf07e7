import { parseIsoLike } from './dates.ts';
import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface AptHistory {
  entries: number;
  /** End of the latest transaction that upgraded packages (patches, as opposed to new installs). */
  lastUpgrade?: Date;
  lastUpgradePackages?: number;
  lastActivity?: Date;
}

/**
 * /var/log/apt/history.log: blank-line separated transactions of "Key: value" lines from Start-Date to End-Date.
 * The agent may hand over only the log's tail, so anything before the first Start-Date is skipped.
 */
export function parseAptHistory(text: string): Parsed<AptHistory> {
  const bad = checkInput(text, 'apt history');
  if (bad) return fail(bad);
  const all = lines(text);
  const first = all.findIndex((l) => l.startsWith('Start-Date: '));
  if (first < 0) {
    return all.every((l) => l.trim() === '') ? ok({ entries: 0 }) : fail('apt history: no Start-Date line');
  }
  const out: AptHistory = { entries: 0 };
  let start: Date | undefined;
  let end: Date | undefined;
  let upgraded = 0;
  const close = (): void => {
    if (!start) return;
    const when = end ?? start;
    out.entries++;
    if (!out.lastActivity || when > out.lastActivity) out.lastActivity = when;
    if (upgraded > 0 && (!out.lastUpgrade || when >= out.lastUpgrade)) {
      out.lastUpgrade = when;
      out.lastUpgradePackages = upgraded;
    }
    start = end = undefined;
    upgraded = 0;
  };
  for (let i = first; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    const m = /^([A-Z][A-Za-z-]*): ?(.*)$/.exec(line);
    if (!m) return fail(`apt history: line ${i + 1} is not "Key: value"`);
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Start-Date') {
      close();
      start = parseIsoLike(value);
      if (!start) return fail(`apt history: bad Start-Date on line ${i + 1}`);
    } else if (!start) {
      return fail(`apt history: ${key} outside a transaction on line ${i + 1}`);
    } else if (key === 'End-Date') {
      end = parseIsoLike(value);
      if (!end) return fail(`apt history: bad End-Date on line ${i + 1}`);
      close();
    } else if (key === 'Upgrade') {
      // "pkg:arch (old, new), pkg2:arch (old, new)"
      upgraded += (value.match(/\([^()]*,[^()]*\)/g) ?? []).length;
    }
  }
  close();
  return ok(out);
}
