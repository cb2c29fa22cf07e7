import { cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type User } from '../identity/directory.ts';
import { analyzeKeySpec, DecisionCache, numericClass } from './decision-cache.ts';
import { ACCESS_ACTIONS, AccessPolicy, DEVICE_COMPLIANCE, type AccessRequest } from './engine.ts';
import { NETWORK_LABELS } from './network.ts';

const DEFAULT_DIR = join(import.meta.dirname, 'default');
let tmp: string;

beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'parley-decision-cache-')); });
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** mulberry32: seeded, so a failure replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Small pools, so requests repeat (cache hits) and land on and around every threshold in the test policies. */
function randomRequests(n: number, seed: number): AccessRequest[] {
  const rnd = prng(seed);
  const of = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T>(x: T): T | undefined => (rnd() < 0.5 ? x : undefined);
  const ages = [0, 1, 299, 300, 301, 899, 900, 901, 899.5, 3600, 2 ** 31, 1e15];
  const notionals = [0, 1, 999, 1000, 1001, 4999, 5000, 5001, 49_999_999, 50_000_000, 49_999_999.5, 50_000_000.5, 50_000_001, 1e20];
  const out: AccessRequest[] = [];
  for (let i = 0; i < n; i++) {
    const role = of(ROLES);
    const user: User = {
      username: of(['ann', 'bob', 'cy', 'dee', 'x"|1:', '']), role, privileged: rnd() < 0.3, passwordHash: 'x',
      webauthnCredentials: [], expectedCountries: of([[], ['GB'], ['GB', 'US'], ['FR']]), certSubjects: [], compIds: [],
      ...(rnd() < 0.1 ? { disabled: true } : {}),
    };
    const context: AccessRequest['context'] = {
      network: of(NETWORK_LABELS), deviceCompliance: of(DEVICE_COMPLIANCE), mfa: rnd() < 0.7,
      ip: of(['10.0.0.5', '10.9.9.9', '192.168.1.1', '198.51.100.7', '::ffff:10.0.0.5', 'fd00::1']),
    };
    const age = maybe(rnd() < 0.8 ? of(ages) : Math.floor(rnd() * 5000));
    if (age !== undefined) context.mfaAgeSec = age;
    const notional = maybe(rnd() < 0.8 ? of(notionals) : Math.floor(rnd() * 100_000_000));
    if (notional !== undefined) context.notional = notional;
    const country = maybe(of(['GB', 'gb', 'FR', 'US']));
    if (country !== undefined) context.country = country;
    if (rnd() < 0.3) context.serviceAccountAuth = true;
    if (rnd() < 0.3) context.ipAllowListed = true;
    if (rnd() < 0.3) context.jitGrant = true;
    out.push({ user, action: of(ACCESS_ACTIONS), context });
  }
  return out;
}

/** A copy of the shipped schema with the given policy text beside it (and the shipped policies when asked). */
async function policyDir(name: string, text: string, withDefault = false): Promise<string> {
  const d = join(tmp, name);
  await cp(DEFAULT_DIR, d, { recursive: true });
  if (!withDefault) { await unlink(join(d, 'access.cedar')); await unlink(join(d, 'mfa.cedar')); }
  await writeFile(join(d, 'extra.cedar'), text);
  return d;
}

// Literal thresholds (with equality), a comparison the other way round, the address, principal attributes.
const THRESHOLDS = `
@id("t-big") @stepup("mfa") @max_age("300")
forbid (principal, action == Parley::Action::"CreateRfq", resource) when { context has notional && 1000 <= context.notional && context.mfaAgeSec > 300 };
@id("t-exact") permit (principal, action == Parley::Action::"HitQuote", resource) when { context has notional && context.notional == 5000 };
@id("t-ne") permit (principal, action == Parley::Action::"CancelRfq", resource) when { context.mfaAgeSec != 900 && context.ip.isInRange(ip("10.0.0.0/8")) };
@id("t-priv") permit (principal, action == Parley::Action::"SystemConfiguration", resource) when { principal.privileged && principal.username like "a*" };
`;
// Arithmetic and a comparison between two request values: the analysis must fall back to exact values.
const ARITHMETIC = `
@id("a-sum") permit (principal, action == Parley::Action::"CreateRfq", resource) when { context has notional && context.notional + context.mfaAgeSec > 1000 };
@id("a-two") forbid (principal, action == Parley::Action::"CreateRfq", resource) when { context has notional && context.notional < context.mfaAgeSec };
`;

describe('cached and uncached decisions agree on randomized requests', () => {
  const sets: [string, () => Promise<string>][] = [
    ['the shipped policy set', async () => DEFAULT_DIR],
    ['literal thresholds, the address and principal attributes (with the shipped set)', () => policyDir('thresholds', THRESHOLDS, true)],
    ['arithmetic on request numbers (exact keys)', () => policyDir('arithmetic', ARITHMETIC)],
  ];
  for (const [name, dir] of sets) {
    it(name, async () => {
      const d = await dir();
      // The reference is the engine as it was: no cache, every attribute handed to Cedar.
      const reference = await AccessPolicy.load(d, { decisionCacheSize: 0, pruneInputs: false });
      const cached = await AccessPolicy.load(d, { decisionCacheSize: 97 }); // small: evictions happen too
      const requests = randomRequests(4000, name.length);
      let differ = 0;
      for (const r of requests) {
        const want = reference.authorize(r);
        const got = cached.authorize(r);
        const again = cached.authorize(r); // just stored, so a hit whatever the key space
        if (JSON.stringify(got) !== JSON.stringify(want) || JSON.stringify(again) !== JSON.stringify(want)) differ++;
        expect(got).toStrictEqual(want);
        expect(again).toStrictEqual(want);
      }
      expect(differ).toBe(0);
      const s = cached.cacheStats();
      expect(s.hits).toBeGreaterThanOrEqual(requests.length);
      expect(s.evictions).toBeGreaterThan(0);
      expect(s.size).toBeLessThanOrEqual(97);
      // every kind of outcome was compared, not just one
      const kinds = new Set(requests.map((r) => reference.authorize(r).decision));
      expect([...kinds].sort()).toEqual(name.startsWith('arithmetic') ? ['allow', 'deny'] : ['allow', 'deny', 'step-up']);
    });
  }
});

describe('the decision cache', () => {
  const trader: User = { username: 'tess', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [] };
  const rfq = (notional: number, mfaAgeSec = 10): AccessRequest => ({ user: trader, action: 'CreateRfq', context: { network: 'corporate-lan', deviceCompliance: 'compliant', mfa: true, mfaAgeSec, ip: '10.0.0.5', notional } });

  it('reads the thresholds from the policies: notional against the limit, second-factor age against max_age', async () => {
    const p = await AccessPolicy.load(DEFAULT_DIR, { rfqNotionalLimit: 1_000_000, maxAuthAgeSec: 600 });
    p.authorize(rfq(10)); p.authorize(rfq(999_999, 599)); p.authorize(rfq(500_000, 300));
    expect(p.cacheStats()).toMatchObject({ hits: 2, misses: 1, size: 1 }); // all on the same side of 1,000,000 and 600
    expect(p.authorize(rfq(1_000_001, 601)).decision).toBe('step-up');
    expect(p.authorize(rfq(1_000_001, 600)).decision).toBe('allow');
    expect(p.cacheStats()).toMatchObject({ misses: 3, size: 3 });
  });

  it('starts empty with the new set at a reload, so a changed policy decides at once', async () => {
    const d = await policyDir('reload', '@id("extra") permit (principal, action == Parley::Action::"ViewAllTrades", resource);', true);
    const p = await AccessPolicy.load(d);
    const view: AccessRequest = { user: trader, action: 'ViewAllTrades', context: { network: 'corporate-lan', deviceCompliance: 'compliant', mfa: true, ip: '10.0.0.5' } };
    expect(p.authorize(view).decision).toBe('allow');
    expect(p.authorize(view).decision).toBe('allow');
    expect(p.cacheStats().hits).toBe(1);
    await writeFile(join(d, 'extra.cedar'), '@id("extra") forbid (principal, action == Parley::Action::"ViewAllTrades", resource);');
    await p.reload();
    expect(p.cacheStats()).toMatchObject({ hits: 0, misses: 0, size: 0 });
    expect(p.authorize(view)).toMatchObject({ decision: 'deny', reasons: ['extra'] });
    // a reload that fails keeps the set and its cache in force
    await writeFile(join(d, 'extra.cedar'), 'forbid (principal, action, resource) when { nonsense };');
    await expect(p.reload()).rejects.toThrow();
    expect(p.authorize(view)).toMatchObject({ decision: 'deny', reasons: ['extra'] });
    expect(p.cacheStats().hits).toBe(1);
  });

  it('reads the mode at each call, hands each caller its own copy, and caches no invalid request', async () => {
    const p = await AccessPolicy.load(DEFAULT_DIR);
    const first = p.authorize(rfq(10));
    first.reasons.push('edited'); first.controls.length = 0;
    expect(p.authorize(rfq(10))).toStrictEqual({ decision: 'allow', enforced: true, reasons: ['trader-create-rfq-corporate'], messages: [], controls: ['mfa', 'session-logging'] });
    p.mode = 'log-only';
    expect(p.authorize(rfq(10)).enforced).toBe(false);
    const size = p.cacheStats().size;
    for (const bad of [null, {}, { ...rfq(1), action: 'Nope' }, { ...rfq(1), context: { ...rfq(1).context, ip: 'not-an-ip' } }, { ...rfq(1), context: { ...rfq(1).context, notional: Number.NaN } }]) {
      expect(p.authorize(bad as unknown as AccessRequest)).toMatchObject({ decision: 'deny', reasons: ['invalid-request'] });
    }
    expect(p.cacheStats().size).toBe(size);
  });

  it('stays within its bound with many distinct users, and decisionCacheSize 0 keeps nothing', async () => {
    const p = await AccessPolicy.load(DEFAULT_DIR, { decisionCacheSize: 50 });
    const off = await AccessPolicy.load(DEFAULT_DIR, { decisionCacheSize: 0 });
    for (let i = 0; i < 300; i++) {
      const r = { ...rfq(10), user: { ...trader, username: `u${i}` } };
      expect(p.authorize(r)).toStrictEqual(off.authorize(r));
    }
    expect(p.cacheStats()).toMatchObject({ size: 50, evictions: 250 });
    expect(off.cacheStats()).toMatchObject({ size: 0, hits: 0 });
  });
});

describe('analyzeKeySpec and numericClass', () => {
  const ctx = (attr: string) => ({ '.': { left: { Var: 'context' }, attr } });
  const when = (body: unknown) => ({ effect: 'permit', conditions: [{ kind: 'when', body }] });

  it('collects thresholds from comparisons with literals and constants, either way round', () => {
    const s = analyzeKeySpec([
      when({ '>': { left: ctx('notional'), right: ctx('limit') } }),
      when({ '<=': { left: { Value: 7 }, right: ctx('notional') } }),
      when({ '==': { left: ctx('age'), right: { Value: 3 } } }),
    ], ['notional', 'age'], { limit: 100 });
    expect(s.numeric.get('notional')).toEqual([7, 100]);
    expect(s.numeric.get('age')).toEqual([3]);
    expect([...s.read!].sort()).toEqual(['age', 'limit', 'notional']);
  });

  it('falls back to exact values for anything else, and to every attribute for the whole context', () => {
    const s = analyzeKeySpec([
      when({ '>': { left: { '+': { left: ctx('notional'), right: { Value: 1 } } }, right: { Value: 3 } } }),
      when({ '<': { left: ctx('age'), right: ctx('other') } }),
      when({ '==': { left: ctx('age2'), right: { Value: 'x' } } }),
      when({ '>': { left: ctx('age3'), right: ctx('notional') } }),
    ], ['notional', 'age', 'age2', 'age3'], {});
    expect(Object.fromEntries(s.numeric)).toEqual({ notional: 'exact', age: 'exact', age2: 'exact', age3: 'exact' });
    const whole = analyzeKeySpec([when({ '==': { left: { Var: 'context' }, right: { Record: {} } } }), when({ '>': { left: ctx('n'), right: { Value: 1 } } })], ['n'], {});
    expect(whole.read).toBeNull();
    expect(whole.numeric.get('n')).toBe('exact');
    // hostile shapes do not throw
    expect(() => analyzeKeySpec([null, 1, 'x', [], { '.': null }, { '>': null }, { has: { left: null } }], ['n'], {})).not.toThrow();
  });

  it('numericClass tells below, equal and above each threshold apart', () => {
    const t = [10, 20];
    expect([0, 9, 10, 11, 19, 20, 21, 1e9].map((v) => numericClass(v, t))).toEqual([0, 0, 1, 2, 2, 3, 4, 4]);
    expect(numericClass(5, [])).toBe(0);
  });

  it('DecisionCache evicts the least recently used', () => {
    const c = new DecisionCache<number>(2);
    c.set('a', 1); c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([1, undefined, 3]);
    expect(c.stats()).toMatchObject({ evictions: 1, size: 2, max: 2 });
  });
});
