/**
 * Anomaly detection as risk factors (issue 15 item 4), computed at the gateway from its own history.
 *
 * API
 *   class AnomalyDetector
 *     static open(o: DetectorOptions): AnomalyDetector   loads the history (a bad file: empty, audited)
 *     logon(ctx): RiskContext     the logon's context plus the user's enforced anomalies; runs the logon rules
 *                                 (impossible travel, password spraying, off-hours) first
 *     score(ctx): RiskContext     the user's active enforced anomalies added (a live session's re-score)
 *     action(req, decide): AccessDecision   runs the action rules (notional, RFQ/hit rate) on a CreateRfq or
 *                                 HitQuote, then the policy; an enforced action anomaly not yet answered by a
 *                                 second factor turns an allow into a step-up, and the user's live sessions are
 *                                 re-scored (rescoreUser), which ends those at or above risk.thresholds.denyAt
 *     observe(type, data)         audit events: session.started (a logon's place and hour), logon.denied naming a
 *                                 user (a failure from that address)
 *     close(): Promise<void>      saves the history
 *
 * Every finding is audited as anomaly.detected {rule, mode, user|ip, condition, ...detail}; an enforced one is
 * also alerted (anomaly.<rule>) and counts for activeSec as one 'anomaly' factor of the user's risk score, with
 * its condition in the decision text. Log-only findings change nothing else (the false-positive guard).
 */
import type { AccessDecision, AccessRequest } from '../policy/engine.ts';
import type { RiskContext } from '../risk/score.ts';
import type { Audit } from '../session/ports.ts';
import type { AnomalyConfig, RuleMode, RuleName } from './config.ts';
import { AnomalyHistory, LIMITS, pushBounded, type UserHistory } from './history.ts';
import { impossibleTravel, notionalOutlier, offHours, passwordSpray, rateOutlier, type Finding } from './rules.ts';

export type DetectorOptions = {
  cfg: AnomalyConfig;
  /** The history file (absolute). */
  file: string;
  audit: Audit;
  country: (ip: string) => string | undefined;
  /** Re-scores the user's live sessions (server.ts: LiveSession.rescore, which ends a session at denyAt). */
  rescoreUser?: (username: string) => void;
  now?: () => number;
  /** How often a changed history is saved (default 5 s). */
  saveEveryMs?: number;
};

type Active = { rule: RuleName; key: string; condition: string; score: number; at: number; action: boolean };

const CONFIG_KEY: Record<RuleName, keyof Omit<AnomalyConfig, 'historyFile' | 'activeSec'>> = {
  'impossible-travel': 'impossibleTravel', 'password-spray': 'passwordSpray', notional: 'notional', rate: 'rate', 'off-hours': 'offHours',
};

export class AnomalyDetector {
  readonly #o: DetectorOptions;
  readonly #cfg: AnomalyConfig;
  readonly #history: AnomalyHistory;
  readonly #now: () => number;
  /** Enforced anomalies per user, until activeSec after they were found. */
  readonly #active = new Map<string, Active[]>();
  /** Source addresses whose spraying was reported in the current window (one line per burst). */
  readonly #sprayReported = new Map<string, number>();
  #dirty = false;
  #saving: Promise<void> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  private constructor(o: DetectorOptions, history: AnomalyHistory) {
    this.#o = o;
    this.#cfg = o.cfg;
    this.#history = history;
    this.#now = o.now ?? Date.now;
    this.#timer = setInterval(() => { void this.#save(); }, o.saveEveryMs ?? 5_000);
    this.#timer.unref();
  }

  static open(o: DetectorOptions): AnomalyDetector {
    const { history, problem } = AnomalyHistory.load(o.file);
    if (problem) {
      o.audit.event('anomaly.history-unreadable', { file: o.file, problem });
      o.audit.alert('anomaly.history-unreadable', { file: o.file, problem });
    }
    return new AnomalyDetector(o, history);
  }

  #mode(rule: RuleName): RuleMode {
    return this.#cfg[CONFIG_KEY[rule]].mode;
  }

  // ------------------------------------------------------------------ logon
  logon(ctx: RiskContext): RiskContext {
    const now = this.#now();
    const user = ctx.user.username;
    const h = this.#history.peekUser(user);
    const c = this.#cfg;
    const found: Finding[] = [];
    if (c.impossibleTravel.mode !== 'off') {
      const f = impossibleTravel(h?.logons.at(-1), { at: now, country: ctx.country }, c.impossibleTravel);
      if (f) found.push(f);
    }
    if (c.passwordSpray.mode !== 'off') {
      const f = passwordSpray(this.#history.failures(ctx.ip), ctx.ip, now, c.passwordSpray);
      if (f) found.push(f);
    }
    if (c.offHours.mode !== 'off' && h) {
      const f = offHours(now, h.logons, c.offHours);
      if (f) found.push(f);
    }
    for (const f of found) this.#found(user, f, `${f.rule}:${now}`, false, { ip: ctx.ip });
    return this.score(ctx);
  }

  score(ctx: RiskContext): RiskContext {
    const active = this.#activeFor(ctx.user.username);
    if (active.length === 0) return ctx;
    return { ...ctx, anomalies: [...(ctx.anomalies ?? []), ...active.map((a) => ({ condition: a.condition, score: a.score }))] };
  }

  // ------------------------------------------------------------------ actions
  action(req: AccessRequest, decide: (r: AccessRequest) => AccessDecision): AccessDecision {
    const d = decide(req);
    if (req.action !== 'CreateRfq' && req.action !== 'HitQuote') return d;
    const now = this.#now();
    const user = req.user.username;
    const c = this.#cfg;
    const h = this.#history.user(user);
    const found: { f: Finding; key: string }[] = [];
    const n = req.context.notional;
    if (req.action === 'CreateRfq' && typeof n === 'number' && Number.isFinite(n) && n >= 0) {
      if (c.notional.mode !== 'off') {
        const f = notionalOutlier(n, h.notionals, c.notional);
        if (f) found.push({ f, key: `notional:${now}` });
      }
      pushBounded(h.notionals, n, LIMITS.notionals);
      this.#dirty = true;
    }
    const rate = this.#countWindow(h, req.action, now);
    if (c.rate.mode !== 'off') {
      const f = rateOutlier(rate.count, rate.history, c.rate, req.action === 'CreateRfq' ? 'RFQ' : 'hit');
      // One finding per action and window: the 11th RFQ of a burst is the anomaly, not each one after it.
      const key = `rate:${req.action}:${rate.window}`;
      if (f && !this.#seen(user, key)) found.push({ f, key });
    }
    let enforcedNew = false;
    for (const { f, key } of found) enforcedNew = this.#found(user, f, key, true, { action: req.action }) || enforcedNew;
    if (enforcedNew && this.#o.rescoreUser) {
      const rescore = this.#o.rescoreUser;
      // After this decision is taken: a re-score may end the session that is asking.
      setImmediate(() => rescore(user));
    }
    // A second factor proved after the anomaly answers it (mfaAgeSec is whole seconds: take the earliest time).
    const mfaAt = req.context.mfa && req.context.mfaAgeSec !== undefined ? now - (req.context.mfaAgeSec + 1) * 1000 : -Infinity;
    const open = this.#activeFor(user).filter((a) => a.action && a.at >= mfaAt);
    if (open.length === 0 || d.decision !== 'allow') return d;
    return {
      ...d, decision: 'step-up', enforced: true, reasons: [...d.reasons, 'anomaly'],
      messages: [...d.messages, ...open.map((a) => `anomaly: ${a.condition}`)], stepUp: d.stepUp ?? { acr: 'mfa' },
    };
  }

  /** Counts the action in its fixed window; returns this window's count and the user's earlier active windows. */
  #countWindow(h: UserHistory, action: string, now: number): { window: number; count: number; history: number[] } {
    const window = Math.floor(now / (this.#cfg.rate.windowSec * 1000));
    const w = (h.windows[action] ??= {});
    w[String(window)] = (w[String(window)] ?? 0) + 1;
    const keys = Object.keys(w);
    if (keys.length > LIMITS.windows) for (const k of keys.sort((a, b) => Number(a) - Number(b)).slice(0, keys.length - LIMITS.windows)) delete w[k];
    this.#dirty = true;
    return { window, count: w[String(window)]!, history: Object.entries(w).filter(([k]) => k !== String(window)).map(([, v]) => v) };
  }

  // ------------------------------------------------------------------ observed events
  observe(type: string, data: Record<string, unknown>): void {
    const now = this.#now();
    if (type === 'session.started' && typeof data.user === 'string' && typeof data.ip === 'string') {
      const u = this.#history.user(data.user);
      pushBounded(u.logons, { at: now, country: this.#o.country(data.ip) ?? null }, LIMITS.logons);
      this.#dirty = true;
      return;
    }
    if (type === 'logon.denied' && typeof data.username === 'string' && typeof data.ip === 'string') {
      const cfg = this.#cfg.passwordSpray;
      if (cfg.mode === 'off') return;
      const windowMs = cfg.windowSec * 1000;
      const list = this.#history.addFailure(data.ip, { at: now, user: data.username.slice(0, 128) }, windowMs, now);
      const f = passwordSpray(list, data.ip, now, cfg);
      const last = this.#sprayReported.get(data.ip);
      if (f && (last === undefined || now - last > windowMs)) {
        if (this.#sprayReported.size >= LIMITS.ips) this.#sprayReported.delete(this.#sprayReported.keys().next().value!);
        this.#sprayReported.set(data.ip, now);
        // About an address, not a user: audited (and alerted) here; it scores any logon from that address.
        this.#report(f, cfg.mode, { ip: data.ip });
      }
    }
  }

  // ------------------------------------------------------------------ findings
  /** Audits a finding; an enforced one becomes active for the user. Returns true when it is enforced and new. */
  #found(user: string, f: Finding, key: string, action: boolean, extra: Record<string, unknown>): boolean {
    const mode = this.#mode(f.rule);
    if (mode === 'off') return false;
    const score = this.#cfg[CONFIG_KEY[f.rule]].score;
    if (mode === 'enforce') {
      // The newest finding of a rule replaces the older one: a rule adds its score once, however often it fires.
      const list = this.#activeFor(user).filter((a) => a.rule !== f.rule);
      const fresh = !this.#seen(user, key);
      list.push({ rule: f.rule, key, condition: f.condition, score, at: this.#now(), action });
      this.#active.set(user, list);
      if (!fresh) return false;
    }
    this.#report(f, mode, { user, ...extra, score });
    return mode === 'enforce';
  }

  #report(f: Finding, mode: RuleMode, subject: Record<string, unknown>): void {
    const line = { rule: f.rule, mode, ...subject, condition: f.condition, ...f.detail };
    this.#o.audit.event('anomaly.detected', line);
    if (mode === 'enforce') this.#o.audit.alert(`anomaly.${f.rule}`, line);
  }

  #seen(user: string, key: string): boolean {
    return this.#activeFor(user).some((a) => a.key === key);
  }

  #activeFor(user: string): Active[] {
    const list = this.#active.get(user);
    if (!list) return [];
    const horizon = this.#now() - this.#cfg.activeSec * 1000;
    const live = list.filter((a) => a.at >= horizon);
    if (live.length !== list.length) {
      if (live.length) this.#active.set(user, live);
      else this.#active.delete(user);
    }
    return live;
  }

  async #save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#saving = this.#saving.then(() => this.#history.save(this.#o.file)).catch((e: unknown) => {
      this.#dirty = true;
      this.#o.audit.event('anomaly.history-save-failed', { file: this.#o.file, error: (e as Error).message });
    });
    await this.#saving;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#save();
  }
}
