import { describe, expect, it } from 'vitest';
import type { User } from '../identity/directory.ts';
import { CidrSet, normalizeIp } from './cidr.ts';
import { decideAchievable, DEFAULT_RISK_CONFIG, parseRiskConfig, scoreRisk, type RiskContext } from './score.ts';

const trader: User = {
  username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [],
  expectedCountries: ['GB', 'US'], certSubjects: [], compIds: [],
};
const admin: User = { ...trader, username: 'ivan', role: 'IT Admin', privileged: true };

function ctx(over: Partial<RiskContext> = {}): RiskContext {
  return { user: trader, strongestAuth: 'webauthn', deviceCompliant: true, deviceAttested: true, ip: '10.1.2.3', country: 'GB', ...over };
}

describe('scoreRisk with the default table', () => {
  it('scores the best case 0 and lists all five factors', () => {
    const r = scoreRisk(ctx());
    expect(r).toEqual({ score: 0, decision: 'allow', factors: [
      { factor: 'user', condition: 'standard user', score: 0 },
      { factor: 'authentication', condition: 'hardware key (WebAuthn)', score: 0 },
      { factor: 'device', condition: 'managed and compliant', score: 0 },
      { factor: 'network', condition: 'corporate network', score: 0 },
      { factor: 'geography', condition: 'expected country GB', score: 0 },
    ] });
  });

  it.each([
    ['privileged user', ctx({ user: admin }), 'user', 10],
    ['password only', ctx({ strongestAuth: 'password' }), 'authentication', 30],
    ['TOTP', ctx({ strongestAuth: 'totp' }), 'authentication', 5],
    ['non-compliant device', ctx({ deviceCompliant: false }), 'device', 25],
    ['unattested device', ctx({ deviceAttested: false }), 'device', 25],
    ['unknown network', ctx({ ip: '203.0.113.9' }), 'network', 15],
    ['anomalous country', ctx({ country: 'KP' }), 'geography', 40],
  ] as const)('%s scores its table value', (_name, c, factor, score) => {
    const r = scoreRisk(c);
    expect(r.factors.find((f) => f.factor === factor)?.score).toBe(score);
    expect(r.score).toBe(score);
  });

  it('maps totals to allow (0-19), step-up (20-39) and deny (>= 40)', () => {
    expect(scoreRisk(ctx({ user: admin, strongestAuth: 'totp' })).decision).toBe('allow'); // 15
    expect(scoreRisk(ctx({ ip: '203.0.113.9', strongestAuth: 'totp' })).decision).toBe('step-up'); // 20
    expect(scoreRisk(ctx({ strongestAuth: 'password' })).decision).toBe('step-up'); // 30
    expect(scoreRisk(ctx({ user: admin, strongestAuth: 'password' })).score).toBe(40);
    expect(scoreRisk(ctx({ user: admin, strongestAuth: 'password' })).decision).toBe('deny');
    expect(scoreRisk(ctx({ ip: '203.0.113.9', deviceCompliant: false })).score).toBe(40);
    expect(scoreRisk(ctx({ country: 'RU' })).decision).toBe('deny');
    // password from home on an unmanaged laptop abroad: everything adds up
    expect(scoreRisk(ctx({ user: admin, strongestAuth: 'password', deviceAttested: false, ip: '198.51.100.1', country: 'FR' })).score).toBe(120);
  });

  it('treats an unlocated address as neither expected nor anomalous, and an IPv4-mapped peer as its IPv4 address', () => {
    expect(scoreRisk(ctx({ country: undefined })).factors[4]).toEqual({ factor: 'geography', condition: 'country not known', score: 0 });
    expect(scoreRisk(ctx({ ip: '::ffff:10.9.9.9' })).factors[3]?.score).toBe(0);
    expect(scoreRisk(ctx({ ip: 'garbage' })).factors[3]?.score).toBe(15);
    expect(scoreRisk(ctx({ country: 'gb' })).factors[4]?.score).toBe(0);
  });

  it('uses every edited factor from the config', () => {
    const cfg = parseRiskConfig({
      user: { privileged: 1 }, auth: { password: 2, totp: 3, webauthn: 4 }, device: { compliant: 5, nonCompliant: 6 },
      network: { corporate: 7, unknown: 8, corporateCidrs: ['192.0.2.0/24'] }, geo: { expected: 9, anomalous: 11 },
      thresholds: { stepUpAt: 25, denyAt: 50 },
    });
    expect(scoreRisk(ctx({ ip: '192.0.2.7' }), cfg).score).toBe(0 + 4 + 5 + 7 + 9);
    expect(scoreRisk(ctx({ user: admin, strongestAuth: 'password', deviceCompliant: false, ip: '10.0.0.1', country: 'FR' }), cfg))
      .toMatchObject({ score: 1 + 2 + 6 + 8 + 11, decision: 'step-up' });
    expect(scoreRisk(ctx({ strongestAuth: 'totp' }), cfg).factors[1]?.score).toBe(3);
    expect(DEFAULT_RISK_CONFIG.auth.password).toBe(30);
  });
});

describe('decideAchievable: the logon decision on what the user can still present', () => {
  const home = '203.0.113.9';
  it('a remote password logon of a TOTP user is a step-up, not a denial: TOTP brings 45 to 20', () => {
    const d = decideAchievable(ctx({ strongestAuth: 'password', ip: home }), ['totp']);
    expect(d).toMatchObject({ score: 45, decision: 'step-up', stepUpMethods: ['totp'], options: [{ auth: 'password', score: 45 }, { auth: 'totp', score: 20 }] });
    expect(d.summary).toBe('password only: 45; with TOTP: 20 - step-up required');
    // The presented factors stay what was scored: the client shows why.
    expect(d.factors).toEqual(scoreRisk(ctx({ strongestAuth: 'password', ip: home })).factors);
  });

  it('names every enrolled factor, strongest first, and offers each that brings it under the deny threshold', () => {
    const d = decideAchievable(ctx({ strongestAuth: 'password', ip: home }), ['totp', 'webauthn']);
    expect(d.summary).toBe('password only: 45; with a security key: 15; with TOTP: 20 - step-up required');
    expect(d.stepUpMethods).toEqual(['webauthn', 'totp']);
  });

  it('offers only the security key when TOTP would still be at the deny threshold', () => {
    // privileged +10, password +30, non-compliant +25 = 65; TOTP 40 (deny), security key 35 (step-up band)
    const d = decideAchievable(ctx({ user: admin, strongestAuth: 'password', deviceCompliant: false }), ['totp', 'webauthn']);
    expect(d).toMatchObject({ score: 65, decision: 'step-up', stepUpMethods: ['webauthn'] });
    expect(d.summary).toBe('password only: 65; with a security key: 35; with TOTP: 40 - step-up required');
  });

  it('denies when no enrolled factor could bring it under: the geography case and a user without a second factor', () => {
    const abroad = decideAchievable(ctx({ strongestAuth: 'password', country: 'KP' }), ['totp']);
    expect(abroad).toMatchObject({ score: 70, decision: 'deny', stepUpMethods: [] });
    expect(abroad.summary).toBe('password only: 70; with TOTP: 45 - denied: 40 or more even with a second factor');
    expect(decideAchievable(ctx({ strongestAuth: 'password', country: 'KP' }), ['totp', 'webauthn']).decision).toBe('deny');
    const none = decideAchievable(ctx({ strongestAuth: 'password', ip: home }), []);
    expect(none).toMatchObject({ score: 45, decision: 'deny' });
    expect(none.summary).toBe('password only: 45 - denied: 40 or more and no second factor enrolled could lower it');
    // A remembered second factor that still leaves it at 40 or more: a stronger one may still help.
    expect(decideAchievable(ctx({ strongestAuth: 'totp', ip: home, country: 'KP' }), ['totp', 'webauthn']).decision).toBe('deny');
    expect(decideAchievable(ctx({ user: admin, strongestAuth: 'totp', deviceCompliant: false }), ['totp', 'webauthn']))
      .toMatchObject({ score: 40, decision: 'step-up', stepUpMethods: ['webauthn'] });
  });

  it('the step-up band is allowed once a second factor is satisfied, and a step-up while only the password was presented', () => {
    expect(decideAchievable(ctx({ strongestAuth: 'totp', ip: home }), ['totp'])).toMatchObject({ score: 20, decision: 'allow', summary: 'with TOTP: 20 - allowed: a second factor is satisfied' });
    expect(decideAchievable(ctx({ strongestAuth: 'password' }), ['totp'])).toMatchObject({ score: 30, decision: 'step-up', stepUpMethods: ['totp'] });
    expect(decideAchievable(ctx({ strongestAuth: 'webauthn', ip: home }), ['totp', 'webauthn'])).toMatchObject({ score: 15, decision: 'allow', options: [{ auth: 'webauthn', score: 15 }] });
    // A password-only user in the band still gets a step-up (the session then says it cannot be asked).
    expect(decideAchievable(ctx({ strongestAuth: 'password' }), [])).toMatchObject({ decision: 'step-up', stepUpMethods: [] });
  });

  it('uses the configured scores and thresholds', () => {
    const cfg = parseRiskConfig({ auth: { totp: 12 }, thresholds: { stepUpAt: 20, denyAt: 30 } });
    expect(decideAchievable(ctx({ strongestAuth: 'password', ip: home }), ['totp'], cfg)).toMatchObject({ score: 45, decision: 'step-up', options: [{ auth: 'password', score: 45 }, { auth: 'totp', score: 27 }] });
    expect(decideAchievable(ctx({ strongestAuth: 'password', ip: home, deviceCompliant: false }), ['totp'], cfg).decision).toBe('deny');
  });
});

describe('parseRiskConfig', () => {
  it.each([
    [[], /risk: must be an object/],
    [{ colour: {} }, /risk.colour: unknown field/],
    [{ auth: 5 }, /risk.auth: must be an object/],
    [{ auth: { sms: 1 } }, /risk.auth.sms: unknown field/],
    [{ auth: { totp: '5' } }, /risk.auth.totp: must be a number/],
    [{ auth: { totp: -1 } }, /risk.auth.totp: must be a number from 0 to 1000/],
    [{ auth: { totp: Number.NaN } }, /risk.auth.totp/],
    [{ network: { corporateCidrs: ['10.0.0.0'] } }, /risk.network.corporateCidrs\[0\]: "10.0.0.0" is not a CIDR/],
    [{ network: { corporateCidrs: ['10.0.0.0/33'] } }, /corporateCidrs\[0\]/],
    [{ network: { corporateCidrs: 'x' } }, /corporateCidrs: must be an array/],
    [{ thresholds: { stepUpAt: 50 } }, /stepUpAt \(50\) must not be above denyAt \(40\)/],
    [JSON.parse('{"__proto__": {"x": 1}}'), /risk.__proto__: unknown field/],
  ])('refuses bad input %#', (input, msg) => {
    expect(() => parseRiskConfig(input)).toThrow(msg);
  });
  it('returns the defaults for an empty section', () => {
    expect(parseRiskConfig(undefined)).toEqual(DEFAULT_RISK_CONFIG);
    expect(parseRiskConfig({})).toEqual(DEFAULT_RISK_CONFIG);
  });
});

describe('CidrSet', () => {
  it('matches IPv4, IPv6 and mapped addresses', () => {
    const s = new CidrSet(['10.0.0.0/8', 'fd00::/8', '127.0.0.1/32']);
    expect(s.has('10.255.0.1')).toBe(true);
    expect(s.has('11.0.0.1')).toBe(false);
    expect(s.has('fd12::1')).toBe(true);
    expect(s.has('::ffff:127.0.0.1')).toBe(true);
    expect(s.has('fe80::1%eth0')).toBe(false);
    expect(s.has('')).toBe(false);
    expect(normalizeIp('1.2.3.4.5')).toBeUndefined();
  });
});
