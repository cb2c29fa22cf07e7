// The shipped policy's rows for machine identities (issue 11 item 1), on the real Cedar engine: what an
// order-flow engine and an analytics consumer may do, only as an authenticated service account from its
// allow-list; the explicit no-server-posture exception and where it stops; no step-up for a machine.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role, User } from '../identity/directory.ts';
import { AccessPolicy, type AccessRequest } from './engine.ts';

let policy: AccessPolicy;
beforeAll(async () => { policy = await AccessPolicy.load(join(import.meta.dirname, 'default')); });

function machine(role: Role): User {
  return { username: 'engine', role, privileged: false, passwordHash: '', webauthnCredentials: [], expectedCountries: [], certSubjects: [], compIds: ['ENG'],
    service: { purpose: role === 'Analytics Service' ? 'analytics' : 'order-flow', allowedCidrs: ['10.20.0.0/24'], certFingerprints: [] } };
}
const ctx = (c: Partial<AccessRequest['context']> = {}): AccessRequest['context'] => ({
  network: 'corporate-lan', deviceCompliance: 'unknown', mfa: false, ip: '10.20.0.5', serviceAccountAuth: true, ipAllowListed: true, ...c,
});
const decide = (role: Role, action: AccessRequest['action'], c: Partial<AccessRequest['context']> = {}) => policy.authorize({ user: machine(role), action, context: ctx(c) });

describe('machine identities in the shipped policy', () => {
  it('an order-flow engine trades from its allow-list without posture or a second factor', () => {
    for (const a of ['CreateRfq', 'HitQuote', 'CancelRfq', 'ViewHistoricalTrades'] as const) {
      expect(decide('Order Flow Engine', a, { notional: 1_000_000 })).toMatchObject({ decision: 'allow', reasons: ['order-flow-engine-trading'] });
    }
    expect(decide('Order Flow Engine', 'ViewAllOpenRfqs').decision).toBe('deny');
    expect(decide('Order Flow Engine', 'RfqAnalyticsApi').decision).toBe('deny');
  });

  it('off its allow-list, or not authenticated as a service account, it gets nothing', () => {
    expect(decide('Order Flow Engine', 'CreateRfq', { ipAllowListed: false })).toMatchObject({ decision: 'deny' });
    expect(decide('Order Flow Engine', 'CreateRfq', { ipAllowListed: false }).reasons).toContain('service-account-off-allow-list');
    expect(decide('Order Flow Engine', 'CreateRfq', { serviceAccountAuth: false, ipAllowListed: false }).decision).not.toBe('allow');
  });

  it('the no-posture exception is for "unknown" only: a server reported non-compliant is refused', () => {
    expect(decide('Order Flow Engine', 'CreateRfq', { deviceCompliance: 'non-compliant' })).toMatchObject({ decision: 'deny', reasons: ['device-health-check-failure'] });
    expect(decide('Order Flow Engine', 'CreateRfq', { deviceCompliance: 'compliant' }).decision).toBe('allow');
  });

  it('a large RFQ is denied outright (a machine cannot step up), not challenged', () => {
    const d = decide('Order Flow Engine', 'CreateRfq', { notional: 60_000_000 });
    expect(d).toMatchObject({ decision: 'deny' });
    expect(d.reasons).toContain('service-account-large-rfq');
  });

  it('an analytics consumer reads (analytics API, trade history), never trades, and not from the dev sandbox', () => {
    expect(decide('Analytics Service', 'RfqAnalyticsApi', { network: 'production-analytics' })).toMatchObject({ decision: 'allow', reasons: ['analytics-service-read'] });
    expect(decide('Analytics Service', 'CreateRfq').decision).toBe('deny');
    expect(decide('Analytics Service', 'RfqAnalyticsApi', { network: 'dev-sandbox' })).toMatchObject({ decision: 'deny', reasons: ['analytics-service-dev-sandbox'] });
  });

  it('a person in a machine role without service-account authentication is not let in by these rows', () => {
    expect(decide('Order Flow Engine', 'CreateRfq', { serviceAccountAuth: false, ipAllowListed: true, mfa: true, deviceCompliance: 'compliant' }).decision).not.toBe('allow');
  });
});
