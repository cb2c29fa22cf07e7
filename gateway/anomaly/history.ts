/**
 * What the anomaly rules remember, bounded: per user the last logons (time, country), RFQ notionals and
 * per-window action counts; per source address the recent refused logons (not persisted: spraying is a
 * burst). Saved as JSON (atomic rename, 0600) so a restart keeps each user's norm.
 *
 * API
 *   class AnomalyHistory
 *     static load(file): { history; problem?: string }   missing → empty; unreadable or not a history → empty
 *                                                         with the reason (the caller audits it)
 *     user(name): UserHistory (created on first use)
 *     failures(ip): Failure[]; addFailure(ip, f, windowMs, now)
 *     save(file): Promise<void>
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

export type Logon = { at: number; country: string | null };
export type UserHistory = {
  logons: Logon[];
  notionals: number[];
  /** Per action: completed windows' counts, keyed by window index (time / windowMs). */
  windows: Record<string, Record<string, number>>;
};
export type Failure = { at: number; user: string };

export const LIMITS = { logons: 200, notionals: 500, windows: 500, users: 100_000, ips: 10_000, failuresPerIp: 1_000 } as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readUser(v: unknown): UserHistory | null {
  if (!isRecord(v)) return null;
  const logons = Array.isArray(v.logons) ? v.logons.slice(-LIMITS.logons) : [];
  const notionals = Array.isArray(v.notionals) ? v.notionals.slice(-LIMITS.notionals) : [];
  if (!logons.every((l) => isRecord(l) && Number.isFinite(l.at) && (l.country === null || (typeof l.country === 'string' && /^[A-Z]{2}$/.test(l.country))))) return null;
  if (!notionals.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return null;
  const windows: UserHistory['windows'] = {};
  if (isRecord(v.windows)) {
    for (const [action, w] of Object.entries(v.windows).slice(0, 16)) {
      if (!isRecord(w) || !/^[A-Za-z]{1,32}$/.test(action)) return null;
      const out: Record<string, number> = {};
      for (const [k, n] of Object.entries(w).slice(-LIMITS.windows)) {
        if (!/^\d{1,15}$/.test(k) || typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
        out[k] = n;
      }
      windows[action] = out;
    }
  }
  return { logons: logons as Logon[], notionals: notionals as number[], windows };
}

export class AnomalyHistory {
  readonly #users = new Map<string, UserHistory>();
  readonly #failures = new Map<string, Failure[]>();

  static load(file: string): { history: AnomalyHistory; problem?: string } {
    const h = new AnomalyHistory();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { history: h };
      return { history: h, problem: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
    }
    if (text.length > 64 * 1024 * 1024) return { history: h, problem: `${file} is larger than 64 MiB` };
    let o: unknown;
    try { o = JSON.parse(text); } catch { return { history: h, problem: `${file} is not valid JSON` }; }
    if (!isRecord(o) || o.version !== 1 || !isRecord(o.users)) return { history: h, problem: `${file} is not an anomaly history (version 1)` };
    for (const [name, u] of Object.entries(o.users).slice(0, LIMITS.users)) {
      const r = readUser(u);
      if (!r) return { history: new AnomalyHistory(), problem: `${file}: the history of user ${name.slice(0, 64)} is malformed` };
      h.#users.set(name, r);
    }
    return { history: h };
  }

  user(name: string): UserHistory {
    let u = this.#users.get(name);
    if (!u) {
      if (this.#users.size >= LIMITS.users) this.#users.delete(this.#users.keys().next().value!);
      u = { logons: [], notionals: [], windows: {} };
      this.#users.set(name, u);
    }
    return u;
  }

  peekUser(name: string): UserHistory | undefined {
    return this.#users.get(name);
  }

  failures(ip: string): readonly Failure[] {
    return this.#failures.get(ip) ?? [];
  }

  addFailure(ip: string, f: Failure, windowMs: number, now: number): readonly Failure[] {
    let list = this.#failures.get(ip);
    if (!list) {
      if (this.#failures.size >= LIMITS.ips) this.#failures.delete(this.#failures.keys().next().value!);
      list = [];
      this.#failures.set(ip, list);
    }
    list.push(f);
    const keep = list.filter((x) => now - x.at <= windowMs).slice(-LIMITS.failuresPerIp);
    this.#failures.set(ip, keep);
    return keep;
  }

  async save(file: string): Promise<void> {
    const users: Record<string, UserHistory> = {};
    for (const [k, v] of this.#users) users[k] = v;
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: 1, users }), { mode: 0o600 });
    await rename(tmp, file);
  }
}

/** Appends keeping only the last `max`. */
export function pushBounded<T>(list: T[], x: T, max: number): void {
  list.push(x);
  if (list.length > max) list.splice(0, list.length - max);
}
