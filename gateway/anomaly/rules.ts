/**
 * The anomaly rules, as pure functions of the user's (or the address's) history and the new observation.
 * Each returns a Finding — the rule, a condition in words (ASCII: it travels in FIX text), the detail for the
 * audit — or null. Modes and scores are the detector's business.
 *
 * API
 *   impossibleTravel(last, now, cfg)     two logons whose capitals are further apart than maxSpeedKmh allows
 *   passwordSpray(failures, ip, cfg)     refused logons naming >= distinctUsers users from one address
 *   notionalOutlier(x, history, cfg)     robust z-score of an RFQ notional against the user's own
 *   rateOutlier(count, windows, cfg, label)  this window's count against the median of the user's active windows
 *   offHours(hour, logons, cfg)          a logon hour (UTC) the user hardly ever logs on in
 */
import type { AnomalyConfig, RuleName } from './config.ts';
import type { Failure, Logon } from './history.ts';
import { distanceKm, locate } from './places.ts';
import { median, robustZ } from './robust.ts';

export type Finding = { rule: RuleName; condition: string; detail: Record<string, unknown> };

const round = (x: number) => Math.round(x);
const mins = (ms: number) => (ms < 60_000 ? `${Math.max(0, round(ms / 1000))} s` : ms < 7_200_000 ? `${round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);

export function impossibleTravel(last: Logon | undefined, now: { at: number; country: string | undefined }, cfg: AnomalyConfig['impossibleTravel']): Finding | null {
  if (!last?.country || !now.country || last.country === now.country) return null;
  const a = locate(last.country);
  const b = locate(now.country);
  if (!a || !b) return null;
  const km = distanceKm(a, b);
  if (km < cfg.minDistanceKm) return null;
  const ms = Math.max(now.at - last.at, 0);
  // Under a minute apart counts as a minute: the speed stays finite and still far above any flight.
  const kmh = km / (Math.max(ms, 60_000) / 3_600_000);
  if (kmh <= cfg.maxSpeedKmh) return null;
  return {
    rule: 'impossible-travel',
    condition: `impossible travel ${last.country} to ${now.country}: ${round(km)} km in ${mins(ms)} (${round(kmh)} km/h)`,
    detail: { from: last.country, to: now.country, km: round(km), minutes: round(ms / 60_000), kmh: round(kmh), previousAt: new Date(last.at).toISOString() },
  };
}

export function passwordSpray(failures: readonly Failure[], ip: string, now: number, cfg: AnomalyConfig['passwordSpray']): Finding | null {
  const users = new Set(failures.filter((f) => now - f.at <= cfg.windowSec * 1000).map((f) => f.user));
  if (users.size < cfg.distinctUsers) return null;
  return {
    rule: 'password-spray',
    condition: `password spraying from ${ip}: ${users.size} users refused in ${mins(cfg.windowSec * 1000)}`,
    detail: { ip, users: users.size, windowSec: cfg.windowSec },
  };
}

export function notionalOutlier(x: number, history: readonly number[], cfg: AnomalyConfig['notional']): Finding | null {
  if (history.length < cfg.minHistory || !Number.isFinite(x)) return null;
  const z = robustZ(x, history);
  if (z <= cfg.robustZ) return null;
  const m = median(history);
  return {
    rule: 'notional',
    condition: `notional ${x} far above the user's usual (median ${m}, robust z ${z.toFixed(1)})`,
    detail: { notional: x, median: m, robustZ: Number(z.toFixed(2)), history: history.length },
  };
}

export function rateOutlier(count: number, windows: readonly number[], cfg: AnomalyConfig['rate'], label: string): Finding | null {
  if (windows.length < cfg.minHistory) return null;
  const m = median(windows);
  const limit = Math.max(cfg.minCount, cfg.factor * Math.max(1, m));
  if (count <= limit) return null;
  return {
    rule: 'rate',
    condition: `${label} rate ${count} in ${cfg.windowSec} s, usual ${m} (median of ${windows.length} active windows)`,
    detail: { action: label, count, median: m, limit, windowSec: cfg.windowSec },
  };
}

export function offHours(at: number, logons: readonly Logon[], cfg: AnomalyConfig['offHours']): Finding | null {
  if (logons.length < cfg.minHistory) return null;
  const hour = new Date(at).getUTCHours();
  const near = (h: number) => { const d = Math.abs(h - hour) % 24; return Math.min(d, 24 - d) <= 1; };
  const within = logons.filter((l) => near(new Date(l.at).getUTCHours())).length;
  if (within / logons.length >= cfg.minShare) return null;
  return {
    rule: 'off-hours',
    condition: `logon at ${String(hour).padStart(2, '0')}:00 UTC, outside the user's usual hours (${within} of ${logons.length} logons within an hour of it)`,
    detail: { hourUtc: hour, within, logons: logons.length },
  };
}
