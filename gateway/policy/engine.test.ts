import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role, User } from '../identity/directory.ts';
import { AccessPolicy, PolicyLoadError, type AccessRequest } from './engine.ts';
import { classifyNetwork, compileNetworks } from './network.ts';

const DEFAULT_DIR = join(import.meta.dirname, 'default');
let tmp: string;
let policy: AccessPolicy;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'parley-policy-'));
  policy = await AccessPolicy.load(DEFAULT_DIR);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function user(role: Role, over: Partial<User> = {}): User {
  return { username: role.replace(/ /g, '-').toLowerCase(), role, privileged: role === 'IT Admin', passwordHash: 'x',
    webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [], ...over };
}

function req(role: Role, action: AccessRequest['action'], ctx: Partial<AccessRequest['context']>, u: Partial<User> = {}): AccessRequest {
  return { user: user(role, u), action, context: { network: 'corporate-lan', deviceCompliance: 'compliant', mfa: true, ip: '10.0.0.5', ...ctx } };
}

/** A copy of the shipped policy folder the test may edit. */
async function copyDefault(name: string): Promise<string> {
  const d = join(tmp, name);
  await cp(DEFAULT_DIR, d, { recursive: true });
  return d;
}

describe('the shipped access table, one test per row', () => {
  it('row 1: Trader / Create RFQ / corporate LAN / compliant -> allow with MFA and session logging', () => {
    const d = policy.authorize(req('Trader', 'CreateRfq', { network: 'corporate-lan', deviceCompliance: 'compliant', mfa: true }));
    expect(d).toMatchObject({ decision: 'allow', enforced: true, reasons: ['trader-create-rfq-corporate'] });
    expect(d.controls).toEqual(['mfa', 'session-logging']);
    // the MFA control: the same request without a second factor is a step-up, not an allow
    const noMfa = policy.authorize(req('Trader', 'CreateRfq', { mfa: false }));
    expect(noMfa).toMatchObject({ decision: 'step-up', reasons: ['mfa-required'], stepUp: { acr: 'mfa' } });
    expect(noMfa.controls).toEqual(['mfa', 'session-logging']);
  });

  it('row 2: Trader / View historical trades / remote / compliant -> allow with MFA, geolocation check, session logging', () => {
    const d = policy.authorize(req('Trader', 'ViewHistoricalTrades', { network: 'remote', ip: '198.51.100.7', country: 'GB' }));
    expect(d).toMatchObject({ decision: 'allow', reasons: ['trader-view-trades-remote'] });
    expect(d.controls).toEqual(['mfa', 'geolocation-check', 'session-logging']);
    // geolocation check: from a country the user is not expected in, or with no location at all -> deny
    expect(policy.authorize(req('Trader', 'ViewHistoricalTrades', { network: 'remote', ip: '198.51.100.7', country: 'FR' })).decision).toBe('deny');
    expect(policy.authorize(req('Trader', 'ViewHistoricalTrades', { network: 'remote', ip: '198.51.100.7' })).decision).toBe('deny');
    expect(policy.authorize(req('Trader', 'ViewHistoricalTrades', { network: 'remote', country: 'GB', mfa: false })).decision).toBe('step-up');
    // remote trading is not in the table: default deny
    expect(policy.authorize(req('Trader', 'CreateRfq', { network: 'remote', country: 'GB' }))).toMatchObject({ decision: 'deny', reasons: ['default-deny'] });
  });

  it('row 3: Quant Analyst / RFQ analytics API / production analytics / compliant server -> allow with service-account auth and IP allow-list', () => {
    const ok = req('Quant Analyst', 'RfqAnalyticsApi', { network: 'production-analytics', mfa: false, serviceAccountAuth: true, ipAllowListed: true });
    const d = policy.authorize(ok);
    expect(d).toMatchObject({ decision: 'allow', reasons: ['quant-analytics-production'] });
    expect(d.controls).toEqual(['service-account-auth', 'ip-allow-list']);
    expect(policy.authorize({ ...ok, context: { ...ok.context, ipAllowListed: false } }).decision).toBe('deny');
    expect(policy.authorize({ ...ok, context: { ...ok.context, serviceAccountAuth: false } }).decision).toBe('deny');
  });

  it('row 4: Quant Analyst / RFQ analytics API / development sandbox / any device -> deny (network segmentation)', () => {
    for (const deviceCompliance of ['highly-compliant', 'compliant', 'non-compliant', 'unknown'] as const) {
      const d = policy.authorize(req('Quant Analyst', 'RfqAnalyticsApi', { network: 'dev-sandbox', deviceCompliance, serviceAccountAuth: true, ipAllowListed: true }));
      expect(d.decision).toBe('deny');
      expect(d.reasons).toContain('quant-analytics-dev-sandbox');
      expect(d.controls).toContain('network-segmentation');
      expect(d.messages.join(' ')).toMatch(/network segmentation/);
    }
  });

  it('row 5: Risk Officer / View all open RFQs / corporate LAN / compliant -> allow with MFA, read-only, audit log', () => {
    const d = policy.authorize(req('Risk Officer', 'ViewAllOpenRfqs', {}));
    expect(d).toMatchObject({ decision: 'allow', reasons: ['risk-officer-view-open-rfqs'] });
    expect(d.controls).toEqual(['mfa', 'read-only', 'audit-log']);
    // read-only: a risk officer cannot trade
    expect(policy.authorize(req('Risk Officer', 'CreateRfq', {})).decision).toBe('deny');
    expect(policy.authorize(req('Risk Officer', 'HitQuote', {})).decision).toBe('deny');
    // and a trader cannot see everyone's RFQs
    expect(policy.authorize(req('Trader', 'ViewAllOpenRfqs', {})).decision).toBe('deny');
  });

  it('row 6: IT Admin / System configuration / privileged access workstation / highly compliant -> allow with JIT access and MFA', () => {
    const ok = req('IT Admin', 'SystemConfiguration', { network: 'paw', deviceCompliance: 'highly-compliant', jitGrant: true });
    const d = policy.authorize(ok);
    expect(d).toMatchObject({ decision: 'allow', reasons: ['it-admin-system-configuration'] });
    expect(d.controls).toEqual(['just-in-time-access', 'mfa']);
    expect(policy.authorize({ ...ok, context: { ...ok.context, jitGrant: false } }).decision).toBe('deny');
    expect(policy.authorize({ ...ok, context: { ...ok.context, deviceCompliance: 'compliant' } }).decision).toBe('deny');
    expect(policy.authorize({ ...ok, context: { ...ok.context, network: 'corporate-lan' } }).decision).toBe('deny');
    expect(policy.authorize({ ...ok, context: { ...ok.context, mfa: false } })).toMatchObject({ decision: 'step-up', stepUp: { acr: 'mfa' } });
  });

  it('row 7: Trader / Create RFQ / public Wi-Fi / non-compliant -> deny (device health check failure)', () => {
    const d = policy.authorize(req('Trader', 'CreateRfq', { network: 'public-wifi', deviceCompliance: 'non-compliant', ip: '203.0.113.50' }));
    expect(d.decision).toBe('deny');
    expect(d.reasons).toContain('device-health-check-failure');
    expect(d.messages).toContain('device health check failure');
    // no step-up is offered: a second factor cannot fix the device
    expect(policy.authorize(req('Trader', 'CreateRfq', { network: 'public-wifi', deviceCompliance: 'non-compliant', mfa: false })).decision).toBe('deny');
    // a non-compliant device is refused even on the corporate LAN
    expect(policy.authorize(req('Trader', 'CreateRfq', { deviceCompliance: 'non-compliant' })).reasons).toContain('device-health-check-failure');
  });
});

describe('RegisterSecurityKey: who may add a security key, decided before the ceremony begins', () => {
  const reg = (ctx: Partial<AccessRequest['context']>, role: Role = 'Trader', u: Partial<User> = {}) => policy.authorize(req(role, 'RegisterSecurityKey', ctx, u));

  it('allows a user with a recent second factor on a compliant device, any role and network', () => {
    const d = reg({ mfa: true, mfaAgeSec: 30 });
    expect(d).toMatchObject({ decision: 'allow', enforced: true, reasons: ['register-security-key'] });
    expect(d.controls).toEqual(['mfa', 'audit-log']);
    expect(reg({ mfa: true, mfaAgeSec: 900, deviceCompliance: 'highly-compliant', network: 'remote' }, 'Risk Officer').decision).toBe('allow');
    expect(reg({ mfa: true, network: 'public-wifi' }, 'IT Admin').decision).toBe('allow');
  });

  it('steps up without a second factor or with one older than maxAuthAgeSec (the answer is the second factor)', () => {
    for (const ctx of [{ mfa: false }, { mfa: true, mfaAgeSec: 901 }]) {
      const d = reg(ctx);
      expect(d).toMatchObject({ decision: 'step-up', reasons: ['register-security-key-fresh-mfa'], stepUp: { acr: 'mfa', maxAgeSec: 900 } });
      expect(d.messages.join(' ')).toMatch(/registering a security key needs a recent second factor/);
    }
  });

  it('denies from a non-compliant or unattested device, even with a fresh second factor, and offers no step-up', () => {
    for (const deviceCompliance of ['non-compliant', 'unknown'] as const) {
      for (const mfa of [true, false]) {
        const d = reg({ deviceCompliance, mfa, mfaAgeSec: 10 });
        expect(d.decision).toBe('deny');
        expect(d.reasons).toContain('device-health-check-failure');
      }
    }
  });

  it('denies a disabled user, and log-only mode decides but does not enforce', async () => {
    expect(reg({ mfa: true }, 'Trader', { disabled: true })).toMatchObject({ decision: 'deny', reasons: ['disabled-user'] });
    const lo = await AccessPolicy.load(DEFAULT_DIR, { mode: 'log-only' });
    expect(lo.authorize(req('Trader', 'RegisterSecurityKey', { deviceCompliance: 'non-compliant' }))).toMatchObject({ decision: 'deny', enforced: false });
  });

  it('a policy folder whose schema lacks the action is refused at load, naming it', async () => {
    const d = await copyDefault('no-register-action');
    const s = await readFile(join(d, 'parley.cedarschema'), 'utf8');
    await writeFile(join(d, 'parley.cedarschema'), s.replace(',\n    RegisterSecurityKey\n', '\n'));
    await writeFile(join(d, 'access.cedar'), (await readFile(join(d, 'access.cedar'), 'utf8')).replace(/@id\("register-security-key"\)[\s\S]*?\};\n/, ''));
    await writeFile(join(d, 'mfa.cedar'), (await readFile(join(d, 'mfa.cedar'), 'utf8')).replace(/@id\("register-security-key-fresh-mfa"\)[\s\S]*?\};\n/, ''));
    await expect(AccessPolicy.load(d)).rejects.toThrow(/must declare action RegisterSecurityKey/);
  });
});

describe('role rules the session asks the policy for (the gateway code names no role)', () => {
  it('ViewAllTrades: a risk officer\'s trade history covers every user; anyone else\'s only their own', () => {
    const d = policy.authorize(req('Risk Officer', 'ViewAllTrades', {}));
    expect(d).toMatchObject({ decision: 'allow', reasons: ['risk-officer-view-all-trades'] });
    expect(d.controls).toEqual(['read-only', 'audit-log']);
    // asked once ViewHistoricalTrades passed its own second-factor rule: not itself a step-up
    expect(policy.authorize(req('Risk Officer', 'ViewAllTrades', { mfa: false })).decision).toBe('allow');
    for (const role of ['Trader', 'Quant Analyst', 'IT Admin', 'service account'] as const) {
      expect(policy.authorize(req(role, 'ViewAllTrades', {}))).toMatchObject({ decision: 'deny', reasons: ['default-deny'] });
    }
    // a risk officer on a failing device, or disabled, is narrowed to their own trades too
    expect(policy.authorize(req('Risk Officer', 'ViewAllTrades', { deviceCompliance: 'non-compliant' })).reasons).toContain('device-health-check-failure');
    expect(policy.authorize(req('Risk Officer', 'ViewAllTrades', {}, { disabled: true })).reasons).toContain('disabled-user');
  });

  it('ViewAllOpenRfqs decides the read-only open-RFQ view and its live feed: risk officers only, with MFA, at the desk', () => {
    expect(policy.authorize(req('Risk Officer', 'ViewAllOpenRfqs', {})).decision).toBe('allow');
    for (const role of ['Trader', 'Quant Analyst', 'IT Admin', 'service account'] as const) {
      expect(policy.authorize(req(role, 'ViewAllOpenRfqs', {})).decision).toBe('deny');
    }
    expect(policy.authorize(req('Risk Officer', 'ViewAllOpenRfqs', { mfa: false }))).toMatchObject({ decision: 'step-up', reasons: ['mfa-required'] });
    expect(policy.authorize(req('Risk Officer', 'ViewAllOpenRfqs', { network: 'remote', ip: '198.51.100.7', country: 'GB' })).decision).toBe('deny');
  });
});

describe('per-action step-up and other rules', () => {
  it('an RFQ above the notional limit needs a second factor within max_age', () => {
    const p = (notional: number, mfaAgeSec?: number, mfa = true) => policy.authorize(req('Trader', 'CreateRfq', { notional, mfa, ...(mfaAgeSec === undefined ? {} : { mfaAgeSec }) }));
    expect(p(50_000_000, 3_600).decision).toBe('allow'); // at the limit: fine with the logon MFA
    const d = p(50_000_001, 3_600);
    expect(d).toMatchObject({ decision: 'step-up', reasons: ['large-rfq-fresh-mfa'], stepUp: { acr: 'mfa', maxAgeSec: 900 } });
    expect(d.messages[0]).toMatch(/notional above the limit/);
    expect(p(75_000_000, 60).decision).toBe('allow'); // stepped up a minute ago
    expect(p(75_000_000, 901).decision).toBe('step-up');
    expect(p(75_000_000).decision).toBe('allow'); // mfaAgeSec omitted with mfa=true counts as fresh
    expect(p(75_000_000, undefined, false).decision).toBe('step-up');
    expect(p(50_000_000.4, 3_600).decision).toBe('step-up'); // rounded up, never down
  });

  it('takes the notional limit and max age from the options', async () => {
    const strict = await AccessPolicy.load(DEFAULT_DIR, { rfqNotionalLimit: 5_000_000, maxAuthAgeSec: 120 });
    expect(strict.authorize(req('Trader', 'CreateRfq', { notional: 6_000_000, mfaAgeSec: 200 }))).toMatchObject({ decision: 'step-up', stepUp: { maxAgeSec: 120 } });
    expect(strict.authorize(req('Trader', 'CreateRfq', { notional: 6_000_000, mfaAgeSec: 100 })).decision).toBe('allow');
  });

  it('a disabled user is denied everything, without a step-up', () => {
    const d = policy.authorize(req('Trader', 'CreateRfq', { mfa: false }, { disabled: true }));
    expect(d).toMatchObject({ decision: 'deny' });
    expect(d.reasons).toContain('disabled-user');
  });

  it('service accounts and unknown roles fall to default deny', () => {
    expect(policy.authorize(req('service account', 'CreateRfq', {})).reasons).toEqual(['default-deny']);
  });

  it('fails closed on malformed requests and keeps serving', () => {
    const bad: unknown[] = [
      req('Trader', 'DropTables' as never, {}),
      req('Trader', 'CreateRfq', { network: 'moon' as never }),
      req('Trader', 'CreateRfq', { deviceCompliance: 'great' as never }),
      req('Trader', 'CreateRfq', { ip: 'not-an-ip' }),
      req('Trader', 'CreateRfq', { notional: Number.NaN }),
      req('Trader', 'CreateRfq', { notional: -5 }),
      req('Trader', 'CreateRfq', { mfaAgeSec: -1 }),
      { action: 'CreateRfq' },
      null,
    ];
    for (const [i, r] of bad.entries()) {
      const d = policy.authorize(r as AccessRequest);
      expect([i, d.decision]).toEqual([i, 'deny']);
    }
    // odd entity ids are data to Cedar, not syntax
    expect(policy.authorize(req('Trader', 'CreateRfq', {}, { username: 'a"b\u0000);permit(' })).decision).toBe('allow');
    expect(policy.authorize(req('Trader', 'CreateRfq', { notional: 1e300, mfaAgeSec: 1e300 })).decision).toBe('step-up');
    expect(policy.authorize(req('Trader', 'CreateRfq', { ip: '::ffff:10.0.0.5' })).decision).toBe('allow');
    expect(policy.authorize(req('Trader', 'CreateRfq', {})).decision).toBe('allow');
  });
});

describe('modes and reload', () => {
  it('log-only mode decides the same but marks the decision as not enforced', async () => {
    const lo = await AccessPolicy.load(DEFAULT_DIR, { mode: 'log-only' });
    const d = lo.authorize(req('Trader', 'CreateRfq', { network: 'public-wifi', deviceCompliance: 'non-compliant' }));
    expect(d).toMatchObject({ decision: 'deny', enforced: false });
    lo.mode = 'enforce';
    expect(lo.authorize(req('Trader', 'CreateRfq', {})).enforced).toBe(true);
  });

  it('reload picks up an edited policy; a broken edit keeps the old policy and names file and line', async () => {
    const d = await copyDefault('reload');
    const p = await AccessPolicy.load(d);
    const r = req('Trader', 'CreateRfq', { network: 'remote', country: 'GB' });
    expect(p.authorize(r).decision).toBe('deny');
    await writeFile(join(d, 'remote.cedar'), `@id("trader-create-rfq-remote")\n@controls("mfa")\npermit (principal in Parley::Role::"Trader", action == Parley::Action::"CreateRfq", resource)\nwhen { context.network == "remote" };\n`);
    await p.reload();
    expect(p.authorize(r)).toMatchObject({ decision: 'allow', reasons: ['trader-create-rfq-remote'] });
    await writeFile(join(d, 'remote.cedar'), `// broken\n\npermit (principal, action, resource)\nwhen { context.network == "remote" && };\n`);
    const e = await p.reload().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PolicyLoadError);
    expect((e as PolicyLoadError).message).toMatch(/^remote.cedar:4:\d+: /);
    expect((e as PolicyLoadError).line).toBe(4);
    expect(p.authorize(r).decision).toBe('allow'); // the previous policy is still in force
  });
});

describe('evaluation errors', () => {
  it('a forbid that errors at run time denies (fail closed) instead of being skipped', async () => {
    const d = await copyDefault('overflow');
    await writeFile(join(d, 'overflow.cedar'), '@id("overflow-guard")\nforbid (principal, action, resource)\nwhen { context has notional && context.notional * 1000000000 > 9000000000000000000 };\n');
    const p = await AccessPolicy.load(d);
    expect(p.authorize(req('Trader', 'CreateRfq', { notional: 1_000, mfaAgeSec: 0 })).decision).toBe('allow');
    const r = p.authorize(req('Trader', 'CreateRfq', { notional: 1e12, mfaAgeSec: 0 }));
    expect(r).toMatchObject({ decision: 'deny', reasons: ['overflow-guard'] });
    expect(r.messages[0]).toMatch(/could not be evaluated/);
  });

  it('survives many reloads and concurrent reloads, always deciding with a complete policy', async () => {
    const d = await copyDefault('reloads');
    const p = await AccessPolicy.load(d);
    for (let i = 0; i < 5; i++) {
      await Promise.all([p.reload(), p.reload()]);
      expect(p.authorize(req('Trader', 'CreateRfq', {})).decision).toBe('allow');
      expect(p.authorize(req('Trader', 'CreateRfq', { deviceCompliance: 'non-compliant' })).decision).toBe('deny');
    }
    const other = await AccessPolicy.load(DEFAULT_DIR); // instances do not share slots
    await p.reload();
    expect(other.policyIds).toEqual(p.policyIds);
  });
});

describe('bad policy folders are refused with file and line', () => {
  async function broken(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
    const d = await copyDefault(name);
    await edit(d);
    const e = await AccessPolicy.load(d).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PolicyLoadError);
    return (e as Error).message;
  }
  const append = (d: string, file: string, text: string) => readFile(join(d, file), 'utf8').then((t) => writeFile(join(d, file), t + text));

  it('syntax error', async () => {
    expect(await broken('syntax', (d) => writeFile(join(d, 'x.cedar'), 'permit (principal, action, resource)\nwhen { context.mfa ==\n'))).toMatch(/^x.cedar:2:\d+: .*unexpected end of input/);
  });
  it('unknown context attribute (schema validation)', async () => {
    const m = await broken('attr', (d) => append(d, 'access.cedar', '\n@id("typo")\npermit (principal, action, resource) when { context.netwerk == "paw" };\n'));
    expect(m).toMatch(/^access.cedar:\d+:\d+: policy typo: does not match the schema: .*netwerk/);
  });
  it('type error against the schema', async () => {
    const m = await broken('type', (d) => writeFile(join(d, 'y.cedar'), '\n\npermit (principal, action, resource) when { context.mfa == "yes" };\n'));
    expect(m).toMatch(/^y.cedar:3:\d+: policy y.cedar#1: does not match the schema/);
  });
  it('unknown entity type or role namespace', async () => {
    expect(await broken('etype', (d) => writeFile(join(d, 'z.cedar'), 'permit (principal in Admin::"root", action, resource);\n'))).toMatch(/^z.cedar:1:\d+: .*Admin/);
  });
  it('duplicate policy id', async () => {
    expect(await broken('dup', (d) => writeFile(join(d, 'dup.cedar'), '@id("mfa-required")\nforbid (principal, action, resource);\n'))).toMatch(/policy id "mfa-required" is already used in/);
  });
  it('bad annotations', async () => {
    expect(await broken('acr', (d) => writeFile(join(d, 'a.cedar'), '\n@id("a")\n@stepup("mfa")\n@acr("gold")\nforbid (principal, action, resource);\n'))).toMatch(/^a.cedar:4: policy a: @acr must be/);
    expect(await broken('age', (d) => writeFile(join(d, 'a.cedar'), '@id("a")\n@stepup("mfa")\n@max_age("soon")\nforbid (principal, action, resource);\n'))).toMatch(/^a.cedar:3: policy a: @max_age/);
    expect(await broken('stepup', (d) => writeFile(join(d, 'a.cedar'), '@id("a")\n@stepup("mfa")\npermit (principal, action, resource);\n'))).toMatch(/^a.cedar:1: policy a: @stepup only/);
    expect(await broken('id', (d) => writeFile(join(d, 'a.cedar'), '@id("has space")\npermit (principal, action, resource);\n'))).toMatch(/^a.cedar:1: policy id "has space"/);
  });
  it('broken, missing or extra schema', async () => {
    expect(await broken('schema', (d) => append(d, 'parley.cedarschema', '\nentity ;\n'))).toMatch(/^parley.cedarschema:\d+:\d+: schema: /);
    expect(await broken('noschema', (d) => rm(join(d, 'parley.cedarschema')))).toMatch(/expected exactly one schema file.*found 0/);
    expect(await broken('twoschemas', (d) => writeFile(join(d, 'b.cedarschema.json'), '{}'))).toMatch(/found 2/);
    expect(await broken('schemaaction', async (d) => {
      const s = await readFile(join(d, 'parley.cedarschema'), 'utf8');
      await writeFile(join(d, 'parley.cedarschema'), s.replace(' SystemConfiguration,', ''));
    })).toMatch(/must declare action SystemConfiguration/);
  });
  it('garbage, binary and oversized files; missing folder; no policies', async () => {
    expect(await broken('nul', (d) => writeFile(join(d, 'bin.cedar'), Buffer.from([0x70, 0, 0xff, 0x0a])))).toMatch(/^bin.cedar:1: file contains a NUL byte/);
    expect(await broken('huge', (d) => writeFile(join(d, 'huge.cedar'), `// ${'x'.repeat(1024 * 1024 + 10)}`))).toMatch(/^huge.cedar: file is \d+ bytes; the limit/);
    expect(await broken('garbage', (d) => writeFile(join(d, 'g.cedar'), '\u202e}{;;permit forbid "\n'))).toMatch(/^g.cedar:1:\d+: /);
    expect(await broken('nopolicies', async (d) => { await rm(join(d, 'access.cedar')); await rm(join(d, 'mfa.cedar')); })).toMatch(/no policy files/);
    await expect(AccessPolicy.load(join(tmp, 'nowhere'))).rejects.toThrow(/nowhere: cannot read the policy folder \(ENOENT\)/);
  });
});

describe('classifyNetwork', () => {
  const cfg = { corporate: ['10.0.0.0/8', '127.0.0.0/8'], zones: { paw: ['10.99.0.0/16'], 'dev-sandbox': ['172.20.0.0/16'], 'production-analytics': ['192.0.2.0/28'] } };
  it('labels zones before the corporate range, and everything else as remote', () => {
    expect(classifyNetwork('10.99.1.1', cfg)).toBe('paw');
    expect(classifyNetwork('10.1.1.1', cfg)).toBe('corporate-lan');
    expect(classifyNetwork('::ffff:127.0.0.1', cfg)).toBe('corporate-lan');
    expect(classifyNetwork('172.20.3.4', cfg)).toBe('dev-sandbox');
    expect(classifyNetwork('192.0.2.3', compileNetworks(cfg))).toBe('production-analytics');
    expect(classifyNetwork('8.8.8.8', cfg)).toBe('remote');
    expect(classifyNetwork('nonsense', cfg)).toBe('unknown');
  });
  it('refuses unknown labels and bad CIDRs', () => {
    expect(() => compileNetworks({ zones: { moon: ['10.0.0.0/8'] } })).toThrow(/network.zones.moon: unknown network label/);
    expect(() => compileNetworks({ zones: { paw: ['10.0.0.0/99'] } })).toThrow(/network.zones.paw\[0\]/);
    expect(() => compileNetworks({ corporate: ['x'] })).toThrow(/network.corporate\[0\]/);
  });
});
