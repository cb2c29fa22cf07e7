/**
 * The detector around the rules: modes (off / log-only / enforce), what reaches the score, the audit and the
 * alerts, the step-up it asks for and when a second factor answers it, spraying across users from one address,
 * logons outside usual hours, expiry after activeSec, and the history kept across a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { User } from '../identity/directory.ts';
import type { AccessDecision, AccessRequest } from '../policy/engine.ts';
import { scoreRisk, type RiskContext } from '../risk/score.ts';
import { anomalySchema } from './config.ts';
import { AnomalyDetector } from './detector.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-detector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const user = (username: string): User => ({ username, role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [] });
const ctx = (username: string, ip = '10.0.0.5', country?: string): RiskContext => ({ user: user(username), strongestAuth: 'password', deviceAttested: true, deviceCompliant: true, ip, ...(country ? { country } : {}) });
const allow: AccessDecision = { decision: 'allow', enforced: true, reasons: ['trader-create-rfq'], messages: [], controls: [] };
const req = (username: string, notional: number, mfaAgeSec?: number): AccessRequest => ({
  user: user(username), action: 'CreateRfq',
  context: { network: 'corporate-lan', deviceCompliance: 'compliant', mfa: mfaAgeSec !== undefined, ...(mfaAgeSec !== undefined ? { mfaAgeSec } : {}), ip: '10.0.0.5', notional },
});

function make(cfg: unknown, file = join(dir, `${Math.random()}.json`)) {
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const alerts: string[] = [];
  const rescored: string[] = [];
  let now = Date.UTC(2026, 5, 1, 12, 0);
  const d = AnomalyDetector.open({
    cfg: anomalySchema.parse(cfg), file, country: () => 'GB', now: () => now,
    audit: { event: (type, data) => events.push({ type, data }), alert: (kind) => alerts.push(kind) },
    rescoreUser: (u) => rescored.push(u),
  });
  return { d, events, alerts, rescored, file, advance: (ms: number) => { now += ms; }, at: (t: number) => { now = t; } };
}

describe('AnomalyDetector', () => {
  it('password spraying: refusals naming five users from one address score any logon from it, once alerted', () => {
    const x = make({ passwordSpray: { mode: 'enforce' } });
    for (const u of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) x.d.observe('logon.denied', { ip: '203.0.113.9', username: u, reason: 'wrong password' });
    expect(x.events.filter((e) => e.type === 'anomaly.detected')).toHaveLength(1);
    expect(x.alerts).toEqual(['anomaly.password-spray']);
    const r = scoreRisk(x.d.logon(ctx('alice', '203.0.113.9')));
    expect(r.factors.at(-1)).toMatchObject({ factor: 'anomaly', score: 30 });
    expect(r.factors.at(-1)!.condition.startsWith('password spraying from 203.0.113.9: ')).toBe(true);
    // Another address is not affected.
    expect(scoreRisk(x.d.logon(ctx('bob', '198.51.100.7'))).factors.some((f) => f.factor === 'anomaly')).toBe(false);
  });

  it('off-hours: a trader who logs on 08-17 UTC logging on at 03:00', () => {
    const x = make({ offHours: { mode: 'enforce', minHistory: 5 } });
    for (let i = 0; i < 10; i++) {
      x.at(Date.UTC(2026, 5, 1 + i, 9 + (i % 6), 0));
      x.d.observe('session.started', { user: 'alice', ip: '10.0.0.5' });
    }
    x.at(Date.UTC(2026, 5, 20, 10, 0));
    expect(x.d.logon(ctx('alice')).anomalies ?? []).toHaveLength(0);
    x.at(Date.UTC(2026, 5, 21, 3, 0));
    const c = x.d.logon(ctx('alice'));
    expect(c.anomalies).toHaveLength(1);
    expect(c.anomalies![0]!.score).toBe(15);
  });

  it('log-only audits the finding and changes neither the score nor the decision', () => {
    const x = make({ notional: { mode: 'log-only', minHistory: 3 } });
    for (let i = 0; i < 5; i++) expect(x.d.action(req('alice', 1e6), () => allow)).toEqual(allow);
    expect(x.d.action(req('alice', 90e6), () => allow)).toEqual(allow);
    expect(x.events.find((e) => e.type === 'anomaly.detected')?.data).toMatchObject({ rule: 'notional', mode: 'log-only', user: 'alice' });
    expect(x.alerts).toEqual([]);
    expect(x.d.score(ctx('alice')).anomalies).toBeUndefined();
    expect(x.rescored).toEqual([]);
  });

  it('enforce: the action is held for a step-up until a second factor newer than the finding; the score carries it until activeSec', async () => {
    const x = make({ notional: { mode: 'enforce', minHistory: 3 }, activeSec: 600 });
    for (let i = 0; i < 5; i++) x.d.action(req('alice', 1e6), () => allow);
    const held = x.d.action(req('alice', 90e6, 3_000), () => allow);
    expect(held).toMatchObject({ decision: 'step-up', enforced: true, stepUp: { acr: 'mfa' } });
    expect(held.messages[0]!.startsWith('anomaly: notional 90000000 far above')).toBe(true);
    expect(x.alerts).toEqual(['anomaly.notional']);
    await new Promise((r) => setImmediate(r));
    expect(x.rescored).toEqual(['alice']);
    x.advance(5_000);
    // A second factor 2 s ago (after the finding) answers it; an ordinary RFQ then goes through.
    expect(x.d.action(req('alice', 1e6, 2), () => allow)).toEqual(allow);
    expect(x.d.score(ctx('alice')).anomalies).toEqual([{ condition: held.messages[0]!.slice('anomaly: '.length), score: 30 }]);
    // A policy denial stays a denial.
    const deny: AccessDecision = { ...allow, decision: 'deny' };
    expect(x.d.action(req('alice', 1e6), () => deny)).toBe(deny);
    x.advance(600_001);
    expect(x.d.score(ctx('alice')).anomalies).toBeUndefined();
  });

  it('off rules see nothing; other actions are only decided', () => {
    const x = make({});
    for (let i = 0; i < 50; i++) x.d.action(req('alice', i === 49 ? 1e12 : 1), () => allow);
    x.d.observe('logon.denied', { ip: 'x', username: 'u' });
    expect(x.events).toEqual([]);
    const view: AccessRequest = { ...req('alice', 1), action: 'ViewHistoricalTrades' };
    expect(x.d.action(view, () => allow)).toBe(allow);
  });

  it('the history survives a restart (the file is saved at close)', async () => {
    const file = join(dir, 'kept.json');
    const a = make({ impossibleTravel: { mode: 'enforce' } }, file);
    a.d.observe('session.started', { user: 'bob', ip: '10.0.0.9' });
    await a.d.close();
    const b = make({ impossibleTravel: { mode: 'enforce' } }, file);
    b.advance(5 * 60_000);
    const c = b.d.logon(ctx('bob', '10.0.0.9', 'JP'));
    expect(c.anomalies?.[0]?.score).toBe(40);
    expect(b.events.find((e) => e.type === 'anomaly.detected')?.data).toMatchObject({ rule: 'impossible-travel', from: 'GB', to: 'JP' });
    await b.d.close();
  });

  it('an unreadable history file starts empty, audited and alerted', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version":1,"users":{"a":{"notionals":["x"]}}}');
    const x = make({}, file);
    expect(x.events[0]).toMatchObject({ type: 'anomaly.history-unreadable' });
    expect(x.alerts).toEqual(['anomaly.history-unreadable']);
  });
});
