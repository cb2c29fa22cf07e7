/**
 * Each anomaly rule on its own (pure functions), the robust statistics, the places table, and the history file
 * on garbage, hostile and oversized input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anomalySchema, DEFAULT_ANOMALY_CONFIG as C } from './config.ts';
import { AnomalyHistory, LIMITS } from './history.ts';
import { distanceKm, locate } from './places.ts';
import { mad, median, robustZ } from './robust.ts';
import { impossibleTravel, notionalOutlier, offHours, passwordSpray, rateOutlier } from './rules.ts';

const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'parley-anomaly-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('robust statistics', () => {
  it('median, MAD and the robust z-score ignore one earlier outlier', () => {
    expect(median([])).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    const usual = [1e6, 1.1e6, 0.9e6, 1e6, 1.2e6, 0.8e6, 1e6, 1e6, 1.05e6, 500e6];
    expect(robustZ(1.3e6, usual)).toBeLessThan(6);
    expect(robustZ(40e6, usual)).toBeGreaterThan(100);
    // All the same size: the scale floor (5 % of the median) keeps a slightly bigger one ordinary.
    expect(robustZ(1.1e6, Array(10).fill(1e6))).toBeCloseTo(2, 5);
  });
});

describe('impossible travel', () => {
  const cfg = C.impossibleTravel;
  it('London then Tokyo an hour later is impossible; ten hours later is a flight', () => {
    expect(distanceKm(locate('GB')!, locate('JP')!)).toBeGreaterThan(9_000);
    const f = impossibleTravel({ at: 0, country: 'GB' }, { at: H, country: 'JP' }, cfg);
    expect(f).toMatchObject({ rule: 'impossible-travel', detail: { from: 'GB', to: 'JP', minutes: 60 } });
    expect(f!.condition).toMatch(/^impossible travel GB to JP: \d+ km in 60 min \(\d+ km\/h\)$/);
    expect(impossibleTravel({ at: 0, country: 'GB' }, { at: 14 * H, country: 'JP' }, cfg)).toBeNull();
  });
  it('same country, neighbours within minDistanceKm, unknown places or no earlier logon: nothing', () => {
    expect(impossibleTravel({ at: 0, country: 'GB' }, { at: 1, country: 'GB' }, cfg)).toBeNull();
    expect(impossibleTravel({ at: 0, country: 'BE' }, { at: 60_000, country: 'NL' }, cfg)).toBeNull();
    expect(impossibleTravel({ at: 0, country: 'GB' }, { at: 1, country: 'ZZ' }, cfg)).toBeNull();
    expect(impossibleTravel({ at: 0, country: null }, { at: 1, country: 'JP' }, cfg)).toBeNull();
    expect(impossibleTravel(undefined, { at: 1, country: 'JP' }, cfg)).toBeNull();
    expect(impossibleTravel({ at: 0, country: 'GB' }, { at: 1, country: undefined }, cfg)).toBeNull();
    expect(locate('__proto__')).toBeUndefined();
    expect(locate('constructor')).toBeUndefined();
  });
  it('a clock going backwards is treated as no time at all (still impossible)', () => {
    expect(impossibleTravel({ at: 10 * H, country: 'GB' }, { at: 0, country: 'US' }, cfg)?.rule).toBe('impossible-travel');
  });
});

describe('password spraying', () => {
  const cfg = C.passwordSpray;
  it('five distinct users refused from one address within the window', () => {
    const f = ['a', 'b', 'c', 'd', 'e'].map((user, i) => ({ at: i * 1000, user }));
    expect(passwordSpray(f, '203.0.113.9', 5000, cfg)).toMatchObject({ rule: 'password-spray', detail: { ip: '203.0.113.9', users: 5 } });
    expect(passwordSpray(f.slice(0, 4), '203.0.113.9', 5000, cfg)).toBeNull();
  });
  it('one user failing many times is not spraying, and old failures fall out of the window', () => {
    expect(passwordSpray(Array.from({ length: 50 }, (_, i) => ({ at: i, user: 'a' })), 'x', 100, cfg)).toBeNull();
    const f = ['a', 'b', 'c', 'd', 'e'].map((user) => ({ at: 0, user }));
    expect(passwordSpray(f, 'x', cfg.windowSec * 1000 + 1, cfg)).toBeNull();
  });
});

describe('notional far above the user\'s own', () => {
  const cfg = C.notional;
  const usual = [1e6, 2e6, 1e6, 1.5e6, 1e6, 2e6, 1e6, 1.5e6, 1e6, 2e6];
  it('judges only with enough history, and on the robust z-score', () => {
    expect(notionalOutlier(40e6, usual.slice(0, 9), cfg)).toBeNull();
    expect(notionalOutlier(40e6, usual, cfg)).toMatchObject({ rule: 'notional', detail: { notional: 40e6, median: 1.25e6 } });
    expect(notionalOutlier(3e6, usual, cfg)).toBeNull();
    expect(notionalOutlier(Number.NaN, usual, cfg)).toBeNull();
    expect(notionalOutlier(Number.POSITIVE_INFINITY, usual, cfg)).toBeNull();
  });
});

describe('RFQ / hit rate far above the user\'s norm', () => {
  const cfg = C.rate;
  it('needs history; flags above max(minCount, factor x median)', () => {
    expect(rateOutlier(100, [2, 3, 2, 3], cfg, 'RFQ')).toBeNull(); // 4 earlier windows < minHistory 5
    expect(rateOutlier(16, [2, 3, 2, 3, 2], cfg, 'RFQ')).toMatchObject({ rule: 'rate', detail: { count: 16, median: 2, limit: 10 } });
    expect(rateOutlier(10, [2, 3, 2, 3, 2], cfg, 'RFQ')).toBeNull();
    expect(rateOutlier(30, [6, 6, 6, 6, 6], cfg, 'hit')).toBeNull();
    expect(rateOutlier(31, [6, 6, 6, 6, 6], cfg, 'hit')!.condition).toBe('hit rate 31 in 60 s, usual 6 (median of 5 active windows)');
  });
});

describe('logons outside usual hours', () => {
  const cfg = C.offHours;
  const at = (h: number, d = 0) => Date.UTC(2026, 0, 1 + d, h, 30);
  const office = Array.from({ length: 30 }, (_, i) => ({ at: at(8 + (i % 9), i), country: 'GB' }));
  it('03:00 UTC for an 08-17 trader is unusual; 07:00 (next to 08) and 12:00 are not', () => {
    expect(offHours(at(3), office, cfg)).toMatchObject({ rule: 'off-hours', detail: { hourUtc: 3, within: 0, logons: 30 } });
    expect(offHours(at(7), office, cfg)).toBeNull();
    expect(offHours(at(12), office, cfg)).toBeNull();
    expect(offHours(at(3), office.slice(0, 19), cfg)).toBeNull(); // not enough history
  });
  it('hours wrap around midnight', () => {
    const night = Array.from({ length: 30 }, (_, i) => ({ at: at(23, i), country: 'GB' }));
    expect(offHours(at(0), night, cfg)).toBeNull();
    expect(offHours(at(12), night, cfg)?.rule).toBe('off-hours');
  });
});

describe('config and history file', () => {
  it('every rule is off by default; bad values are refused', () => {
    for (const k of ['impossibleTravel', 'passwordSpray', 'notional', 'rate', 'offHours'] as const) expect(C[k].mode).toBe('off');
    expect(anomalySchema.safeParse({ notional: { mode: 'sometimes' } }).success).toBe(false);
    expect(anomalySchema.safeParse({ rate: { score: -1 } }).success).toBe(false);
    expect(anomalySchema.safeParse({ extra: 1 }).success).toBe(false);
  });
  it('loads what it saved; garbage, hostile or wrong-shaped files start empty with the reason', async () => {
    const f = join(dir, 'h.json');
    expect(AnomalyHistory.load(f).problem).toBeUndefined();
    const h = new AnomalyHistory();
    h.user('alice').logons.push({ at: 1, country: 'GB' });
    h.user('alice').notionals.push(1e6);
    h.user('alice').windows.CreateRfq = { 5: 3 };
    await h.save(f);
    const back = AnomalyHistory.load(f);
    expect(back.problem).toBeUndefined();
    expect(back.history.peekUser('alice')).toEqual({ logons: [{ at: 1, country: 'GB' }], notionals: [1e6], windows: { CreateRfq: { 5: 3 } } });
    const bad = [
      'garbage', '[]', '{"version":2,"users":{}}', '{"version":1,"users":[]}',
      '{"version":1,"users":{"a":{"logons":[{"at":"x","country":"GB"}]}}}',
      '{"version":1,"users":{"a":{"logons":[{"at":1,"country":"<script>"}]}}}',
      '{"version":1,"users":{"a":{"notionals":[-1]}}}',
      '{"version":1,"users":{"a":{"windows":{"CreateRfq":{"x":1}}}}}',
      '{"version":1,"users":{"a":{"windows":{"__proto__":{"1":1}}}}}',
    ];
    for (const b of bad) {
      writeFileSync(f, b);
      const r = AnomalyHistory.load(f);
      expect(r.problem, b).toBeTypeOf('string');
      expect(r.history.peekUser('a')).toBeUndefined();
    }
  });
  it('is bounded: long lists are cut on load, failures per address are windowed', () => {
    const f = join(dir, 'big.json');
    writeFileSync(f, JSON.stringify({ version: 1, users: { a: { logons: Array.from({ length: 5000 }, (_, i) => ({ at: i, country: 'GB' })), notionals: Array(5000).fill(1), windows: {} } } }));
    const u = AnomalyHistory.load(f).history.peekUser('a')!;
    expect(u.logons).toHaveLength(LIMITS.logons);
    expect(u.notionals).toHaveLength(LIMITS.notionals);
    const h = new AnomalyHistory();
    for (let i = 0; i < 5000; i++) h.addFailure('1.2.3.4', { at: i, user: `u${i}` }, 1_000_000, i);
    expect(h.failures('1.2.3.4')).toHaveLength(LIMITS.failuresPerIp);
    h.addFailure('1.2.3.4', { at: 10_000_000, user: 'late' }, 1000, 10_000_000);
    expect(h.failures('1.2.3.4')).toEqual([{ at: 10_000_000, user: 'late' }]);
  });
});
