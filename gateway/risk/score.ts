/**
 * The session risk score: five factors, each with an editable score, summed and compared to two thresholds.
 *
 * API
 *   interface RiskConfig { user {standard, privileged}; auth {password, totp, webauthn}; device {compliant, nonCompliant};
 *     network {corporate, unknown, corporateCidrs}; geo {expected, anomalous, unknown?}; thresholds {stepUpAt, denyAt} }
 *   DEFAULT_RISK_CONFIG            — the issue's table: 0/+10, +30/+5/0, 0/+25, 0/+15, 0/+40; step-up at 20, deny at 40
 *   parseRiskConfig(partial, where) — merges a partial config (e.g. the gateway config's `risk` section) over the
 *                                     defaults; throws "<where>.auth.totp: must be a number from 0 to 1000"
 *   interface RiskContext { user; strongestAuth 'password'|'totp'|'webauthn'; deviceCompliant; deviceAttested; ip; country?;
 *     anomalies? } — each enforced anomaly (gateway/anomaly) is one more factor 'anomaly' with its own score
 *   scoreRisk(ctx, cfg = DEFAULT_RISK_CONFIG): RiskDecision { score; decision 'allow'|'step-up'|'deny'; factors[] }
 *     Every factor is listed (also those scoring 0) so the client can show the user why.
 *   decide(score, cfg) — just the threshold comparison.
 *   decideAchievable(ctx, enrolled, cfg = DEFAULT_RISK_CONFIG): AchievableDecision — the logon decision: the
 *     score with the presented authentication and, when that alone would not do, with each stronger second factor
 *     the user has enrolled (`enrolled`, e.g. ['webauthn', 'totp']). A decision the user can still change is
 *     never a denial:
 *       presented < stepUpAt                          → allow
 *       stepUpAt ≤ presented < denyAt                 → allow when a second factor is already satisfied (the
 *                                                      presented auth is TOTP or a security key), else step-up
 *       presented ≥ denyAt, some factor brings it < denyAt → step-up, naming those factors (stepUpMethods)
 *       presented ≥ denyAt, none does                 → deny
 *     `factors` and `score` are the presented ones; `options` lists every factor's score and `summary` says it in
 *     words: "password only: 45; with a security key: 15; with TOTP: 20 - step-up required".
 *
 * Geography: a located country in the user's expectedCountries scores `expected`, any other located country
 * `anomalous`; an address GeoIP cannot place (private ranges, no database) scores `geo.unknown` (default 0),
 * because such addresses are already scored by the network factor.
 */
import type { User } from '../identity/directory.ts';
import { CidrSet } from './cidr.ts';

export interface RiskConfig {
  user: { standard: number; privileged: number };
  auth: { password: number; totp: number; webauthn: number };
  device: { compliant: number; nonCompliant: number };
  network: { corporate: number; unknown: number; corporateCidrs: string[] };
  geo: { expected: number; anomalous: number; unknown?: number };
  thresholds: { stepUpAt: number; denyAt: number };
}

export const DEFAULT_RISK_CONFIG: RiskConfig = Object.freeze({
  user: { standard: 0, privileged: 10 },
  auth: { password: 30, totp: 5, webauthn: 0 },
  device: { compliant: 0, nonCompliant: 25 },
  network: { corporate: 0, unknown: 15, corporateCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
  geo: { expected: 0, anomalous: 40, unknown: 0 },
  thresholds: { stepUpAt: 20, denyAt: 40 },
}) as RiskConfig;

export interface RiskContext {
  user: User;
  strongestAuth: 'password' | 'totp' | 'webauthn';
  deviceCompliant: boolean;
  deviceAttested: boolean;
  ip: string;
  country?: string;
  /** Enforced anomalies found by gateway/anomaly (impossible travel, spraying, notional, rate, hours): one factor each. */
  anomalies?: readonly { condition: string; score: number }[];
}

export interface RiskFactor {
  factor: 'user' | 'authentication' | 'device' | 'network' | 'geography' | 'anomaly';
  condition: string;
  score: number;
}

export interface RiskDecision {
  score: number;
  decision: 'allow' | 'step-up' | 'deny';
  factors: RiskFactor[];
}

// Compiling CIDR lists per call would dominate the cost of a decision; configs are long-lived objects.
const cidrCache = new WeakMap<readonly string[], CidrSet>();
function corporate(cfg: RiskConfig): CidrSet {
  let set = cidrCache.get(cfg.network.corporateCidrs);
  if (!set) {
    set = new CidrSet(cfg.network.corporateCidrs, 'risk.network.corporateCidrs');
    cidrCache.set(cfg.network.corporateCidrs, set);
  }
  return set;
}

export function decide(score: number, cfg: RiskConfig = DEFAULT_RISK_CONFIG): RiskDecision['decision'] {
  if (score >= cfg.thresholds.denyAt) return 'deny';
  if (score >= cfg.thresholds.stepUpAt) return 'step-up';
  return 'allow';
}

export function scoreRisk(ctx: RiskContext, cfg: RiskConfig = DEFAULT_RISK_CONFIG): RiskDecision {
  const factors: RiskFactor[] = [];
  factors.push(ctx.user.privileged
    ? { factor: 'user', condition: 'privileged user', score: cfg.user.privileged }
    : { factor: 'user', condition: 'standard user', score: cfg.user.standard });

  switch (ctx.strongestAuth) {
    case 'webauthn': factors.push({ factor: 'authentication', condition: 'hardware key (WebAuthn)', score: cfg.auth.webauthn }); break;
    case 'totp': factors.push({ factor: 'authentication', condition: 'software token (TOTP)', score: cfg.auth.totp }); break;
    default: factors.push({ factor: 'authentication', condition: 'password only', score: cfg.auth.password });
  }

  if (ctx.deviceAttested && ctx.deviceCompliant) {
    factors.push({ factor: 'device', condition: 'managed and compliant', score: cfg.device.compliant });
  } else {
    factors.push({ factor: 'device', condition: ctx.deviceAttested ? 'non-compliant posture' : 'unmanaged or unattested', score: cfg.device.nonCompliant });
  }

  factors.push(corporate(cfg).has(ctx.ip)
    ? { factor: 'network', condition: 'corporate network', score: cfg.network.corporate }
    : { factor: 'network', condition: 'unknown or dynamic address', score: cfg.network.unknown });

  const country = typeof ctx.country === 'string' && ctx.country ? ctx.country.toUpperCase() : undefined;
  if (!country) {
    factors.push({ factor: 'geography', condition: 'country not known', score: cfg.geo.unknown ?? 0 });
  } else if (ctx.user.expectedCountries.includes(country)) {
    factors.push({ factor: 'geography', condition: `expected country ${country}`, score: cfg.geo.expected });
  } else {
    factors.push({ factor: 'geography', condition: `anomalous country ${country}`, score: cfg.geo.anomalous });
  }
  for (const a of ctx.anomalies ?? []) factors.push({ factor: 'anomaly', condition: a.condition, score: a.score });

  const score = factors.reduce((s, f) => s + f.score, 0);
  return { score, decision: decide(score, cfg), factors };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges a partial, untrusted risk section over the defaults, refusing unknown keys and out-of-range numbers. */
export function parseRiskConfig(input: unknown, where = 'risk'): RiskConfig {
  if (input === undefined || input === null) input = {};
  if (!isRecord(input)) throw new Error(`${where}: must be an object`);
  const out = JSON.parse(JSON.stringify(DEFAULT_RISK_CONFIG)) as RiskConfig;
  const sections = out as unknown as Record<string, Record<string, unknown>>;
  for (const [sec, val] of Object.entries(input)) {
    const target = Object.hasOwn(sections, sec) ? sections[sec] : undefined;
    if (!target) throw new Error(`${where}.${sec}: unknown field (expected one of ${Object.keys(sections).join(', ')})`);
    if (!isRecord(val)) throw new Error(`${where}.${sec}: must be an object`);
    for (const [k, v] of Object.entries(val)) {
      const f = `${where}.${sec}.${k}`;
      if (!Object.hasOwn(target, k)) throw new Error(`${f}: unknown field (expected one of ${Object.keys(target).join(', ')})`);
      if (sec === 'network' && k === 'corporateCidrs') {
        if (!Array.isArray(v) || v.length > 1024) throw new Error(`${f}: must be an array of CIDRs (at most 1024)`);
        new CidrSet(v as string[], f);
        target[k] = [...(v as string[])];
      } else {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1000) throw new Error(`${f}: must be a number from 0 to 1000`);
        target[k] = v;
      }
    }
  }
  if (out.thresholds.stepUpAt > out.thresholds.denyAt) {
    throw new Error(`${where}.thresholds: stepUpAt (${out.thresholds.stepUpAt}) must not be above denyAt (${out.thresholds.denyAt})`);
  }
  return out;
}

export type SecondFactor = 'totp' | 'webauthn';
export type AuthStrength = RiskContext['strongestAuth'];

export interface AchievableDecision extends RiskDecision {
  /** The presented authentication's score first, then each stronger enrolled second factor's (strongest first). */
  options: { auth: AuthStrength; score: number }[];
  /** For a step-up: the second factors whose score is below denyAt (what the challenge may offer). */
  stepUpMethods: SecondFactor[];
  /** The options and the verdict in words, for the user and the audit log. */
  summary: string;
}

const AUTH_LABEL: Record<AuthStrength, string> = { password: 'password only', totp: 'with TOTP', webauthn: 'with a security key' };

function authScore(a: AuthStrength, cfg: RiskConfig): number {
  return a === 'webauthn' ? cfg.auth.webauthn : a === 'totp' ? cfg.auth.totp : cfg.auth.password;
}

/**
 * Decides on what the user can still present, as the gateway's Cedar step-up rules do: a score the user's own
 * second factor would bring under the deny threshold is a step-up, not a denial — otherwise a remote logon
 * (password +30, network +15) could never reach the challenge that would let it in.
 */
export function decideAchievable(ctx: RiskContext, enrolled: readonly SecondFactor[], cfg: RiskConfig = DEFAULT_RISK_CONFIG): AchievableDecision {
  const presented = scoreRisk(ctx, cfg);
  const base = presented.score - authScore(ctx.strongestAuth, cfg);
  const stronger = (['webauthn', 'totp'] as const)
    .filter((m) => enrolled.includes(m) && m !== ctx.strongestAuth && authScore(m, cfg) < authScore(ctx.strongestAuth, cfg))
    .map((m) => ({ auth: m as AuthStrength, score: base + authScore(m, cfg) }))
    .sort((a, b) => a.score - b.score);
  const options = [{ auth: ctx.strongestAuth, score: presented.score }, ...stronger];
  const { stepUpAt, denyAt } = cfg.thresholds;
  const helps = stronger.filter((o) => o.score < denyAt).map((o) => o.auth as SecondFactor);
  let decision: RiskDecision['decision'];
  let verdict: string;
  if (presented.score < stepUpAt) {
    decision = 'allow';
    verdict = 'allowed';
  } else if (presented.score < denyAt && ctx.strongestAuth !== 'password') {
    // The 20–39 band means "allowed once a step-up is satisfied", and this authentication is that step-up.
    decision = 'allow';
    verdict = 'allowed: a second factor is satisfied';
  } else if (presented.score < denyAt) {
    decision = 'step-up';
    verdict = 'step-up required';
  } else if (helps.length > 0) {
    decision = 'step-up';
    verdict = 'step-up required';
  } else {
    decision = 'deny';
    verdict = stronger.length > 0 ? `denied: ${denyAt} or more even with a second factor` : `denied: ${denyAt} or more and no second factor enrolled could lower it`;
  }
  // ASCII only: the summary travels in FIX STRING fields (Latin-1).
  const summary = `${options.map((o) => `${AUTH_LABEL[o.auth]}: ${o.score}`).join('; ')} - ${verdict}`;
  return { ...presented, decision, options, stepUpMethods: decision === 'step-up' ? helps : [], summary };
}
