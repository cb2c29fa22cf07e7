/**
 * The step-up state machine on its own, with the real StepUpManager and TOTP verifier behind it: each transition,
 * the held step handed back as data (satisfied or failed with its cause), and hostile answers (garbage, unknown
 * or foreign challenge ids, two answers at once, late answers). Over the wire it is tested in session.test.ts,
 * factors.test.ts and key-registration.test.ts.
 */
import { Secret, TOTP } from 'otpauth';
import { beforeEach, describe, expect, it } from 'vitest';
import { FixMessage, type Field } from '../../fix/codec.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import { MSG, readStepUpChallenge, readStepUpResult, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import type { User } from '../identity/directory.ts';
import { StepUpManager } from '../mfa/stepup.ts';
import { TotpVerifier } from '../mfa/totp.ts';
import type { LogonContext } from './logon.ts';
import type { Ports } from './ports.ts';
import { RecentAuth } from './recent-auth.ts';
import type { HeldStep, SessionIo } from './session-io.ts';
import { StepUpFlow, type StepUpFailure } from './step-up-flow.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const code = (t: number) => new TOTP({ secret: Secret.fromBase32(SECRET) }).generate({ timestamp: t });
const wrong = (t: number) => String((Number(code(t)) + 1) % 1_000_000).padStart(6, '0');

const msg = (type: string, body: Field[]) => new FixMessage([{ tag: Tag.MsgType, value: type }, ...body]);

let sent: FixMessage[];
let audits: string[];
let alerts: string[];
let settled: ({ satisfied: HeldStep; method: string } | { failed: HeldStep; reason: string; cause: StepUpFailure })[];
let forgotten: string[];
let users: Map<string, User>;
let flow: StepUpFlow;
let recent: RecentAuth;

function flowFor(username: string, sessionId = 's1', maxAttempts = 3): StepUpFlow {
  const user = users.get(username)!;
  const io: SessionIo = {
    id: sessionId, ctx: { user, compId: user.compIds[0] ?? 'X', serial: 'ab' } as LogonContext,
    owner: { user: username, compId: 'X', sessionId },
    send: (t, b) => { sent.push(msg(t, b)); }, status: () => {}, audit: (t) => { audits.push(t); },
    internal: (e) => { audits.push(`internal:${(e as Error).message}`); }, isEnded: () => false, isActive: () => true,
  };
  const ports = {
    stepUps: new StepUpManager({ totp: new TotpVerifier(), getUser: (u) => users.get(u), ttlMs: 60_000, maxAttempts, lockoutMs: 600_000 }),
    settings: { stepUp: { methods: ['totp', 'webauthn'], challengeTtlSec: 60, maxAttempts, maxAuthAgeSec: 900, lockoutSec: 600 } },
    recentAuth: recent,
    decisions: { forgetVerifiedPassword: (u: string) => { forgotten.push(u); } },
    audit: { event: () => {}, alert: (k: string) => { alerts.push(k); } },
  } as unknown as Pick<Ports, 'stepUps' | 'settings' | 'recentAuth' | 'decisions' | 'audit'>;
  return new StepUpFlow(io, ports, {
    risk: () => ({ score: 30, factors: [{ name: 'authentication', condition: 'password only', score: 30 }], reasons: [] }),
    satisfied: (held, method) => { settled.push({ satisfied: held, method }); },
    failed: (held, reason, cause) => { settled.push({ failed: held, reason, cause }); },
  });
}

const last = () => sent.at(-1)!;
const challengeSent = () => readStepUpChallenge(sent.filter((m) => m.msgType === MSG.StepUpChallenge).at(-1)!);
const resultSent = () => readStepUpResult(last());
const totp = (challengeId: string, c: string) => msg(MSG.StepUpResponse, stepUpResponseFields({ challengeId, method: 'totp', code: c }));
const HIT: HeldStep = { kind: 'hit-quote', hit: { quoteRespId: 'H1', quoteId: 'Q1' }, symbol: 'US912828ZT0' };

beforeEach(() => {
  sent = []; audits = []; alerts = []; settled = []; forgotten = [];
  recent = new RecentAuth();
  const alice: User = { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', totpSecret: SECRET,
    webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: ['ALICE'] };
  users = new Map([['alice', alice], ['nofactor', { ...alice, username: 'nofactor', totpSecret: undefined }]]);
  flow = flowFor('alice');
});

describe('StepUpFlow: states and transitions', () => {
  it('idle → challenged → checking → idle: the right code hands the held request back, as it was', async () => {
    expect(flow.state.name).toBe('idle');
    flow.challenge(HIT, { acr: 'mfa', maxAgeSec: 300 }, 'HitQuote needs a fresh second factor', 'H1');
    expect(flow.state.name).toBe('challenged');
    const c = challengeSent();
    expect(c).toMatchObject({ methods: ['totp'], scope: 'action', requiredAcr: 'urn:parley:acr:mfa', maxAuthAgeSec: 300, requestRef: 'H1', attemptsLeft: 3 });
    expect(flow.challengeId).toBe(c.challengeId);
    const answering = flow.response(totp(c.challengeId, code(Date.now())));
    expect(flow.state.name).toBe('checking');
    await answering;
    expect(flow.state.name).toBe('idle');
    expect(resultSent()).toMatchObject({ challengeId: c.challengeId, result: 'success' });
    expect(settled).toEqual([{ satisfied: HIT, method: 'totp' }]);
    expect(audits).toEqual(['stepup.challenge', 'stepup.success']);
  });

  it('a wrong code goes back to challenged with one attempt less; the last wrong one locks out and fails the step', async () => {
    flow.challenge({ kind: 'logon' }, { acr: 'mfa' }, 'logon needs a second factor');
    const id = challengeSent().challengeId;
    await flow.response(totp(id, wrong(Date.now())));
    expect(flow.state.name).toBe('challenged');
    expect(resultSent()).toMatchObject({ result: 'failed', attemptsLeft: 2 });
    await flow.response(totp(id, wrong(Date.now())));
    recent.remember('alice', 'ab', { method: 'totp', at: Date.now() });
    await flow.response(totp(id, wrong(Date.now())));
    expect(flow.state.name).toBe('idle');
    expect(resultSent()).toMatchObject({ result: 'locked', attemptsLeft: 0 });
    expect(settled).toEqual([{ failed: { kind: 'logon' }, reason: 'locked out after too many wrong step-up answers', cause: 'locked' }]);
    expect(alerts).toEqual(['stepup.lockout']);
    expect(forgotten).toEqual(['alice']);
    expect(recent.size).toBe(0);
  });

  it('a newer challenge supersedes the older one: the first held request fails with that reason, the new one goes on', async () => {
    const first: HeldStep = { kind: 'register-key', requestId: 'K1' };
    flow.challenge(first, { acr: 'mfa' }, 'registering a key');
    const old = challengeSent().challengeId;
    flow.challenge(HIT, { acr: 'mfa' }, 'a hit');
    expect(settled).toEqual([{ failed: first, reason: 'superseded by a newer step-up challenge', cause: 'superseded' }]);
    // the old id is now unknown here, and the new challenge still answers
    await flow.response(totp(old, code(Date.now())));
    expect(resultSent()).toMatchObject({ challengeId: old, result: 'unknown' });
    await flow.response(totp(challengeSent().challengeId, code(Date.now())));
    expect(settled.at(-1)).toEqual({ satisfied: HIT, method: 'totp' });
  });

  it('expires on the tick, failing the held step; a late answer is then unknown', async () => {
    flow.challenge(HIT, { acr: 'mfa' }, 'a hit');
    const c = challengeSent();
    flow.tick(c.expiresAt.getTime() - 5_000);
    expect(flow.state.name).toBe('challenged');
    flow.tick(c.expiresAt.getTime() + 1_000);
    expect(flow.state.name).toBe('idle');
    expect(resultSent()).toMatchObject({ result: 'expired' });
    expect(settled).toEqual([{ failed: HIT, reason: 'step-up challenge expired', cause: 'expired' }]);
    await flow.response(totp(c.challengeId, code(Date.now())));
    expect(resultSent()).toMatchObject({ result: 'unknown' });
  });

  it('cancel (the session ends) fails the held step with the session reason; cancelling idle does nothing', () => {
    flow.cancel('nothing held');
    expect(settled).toEqual([]);
    flow.challenge(HIT, { acr: 'mfa' }, 'a hit');
    flow.cancel('session ended by an administrator');
    expect(flow.state.name).toBe('idle');
    expect(settled).toEqual([{ failed: HIT, reason: 'session ended by an administrator', cause: 'cancelled' }]);
  });

  it('a challenge that cannot be asked (no second factor enrolled, or one the acr refuses) stays idle and fails the step', () => {
    const f = flowFor('nofactor');
    f.challenge({ kind: 'logon' }, { acr: 'mfa' }, 'logon');
    expect(f.state.name).toBe('idle');
    expect(settled).toEqual([{ failed: { kind: 'logon' }, reason: expect.stringMatching(/^a second factor is required but cannot be asked: /), cause: 'impossible' }]);
    flow.challenge(HIT, { acr: 'phr' }, 'security key only');
    expect(settled.at(-1)).toMatchObject({ failed: HIT, cause: 'impossible' });
    expect(sent.filter((m) => m.msgType === MSG.StepUpChallenge)).toHaveLength(0);
  });
});

describe('StepUpFlow: hostile answers', () => {
  it('answers garbage, truncated and oversized responses as malformed, without a state change or a lost attempt', async () => {
    flow.challenge(HIT, { acr: 'mfa' }, 'a hit');
    const id = challengeSent().challengeId;
    for (const body of [
      [], [{ tag: Tag.ParleyChallengeID, value: id }], [{ tag: Tag.ParleyStepUpMethod, value: 'totp' }],
      [{ tag: Tag.ParleyChallengeID, value: id }, { tag: Tag.ParleyStepUpMethod, value: 'sms' }],
      [{ tag: Tag.ParleyChallengeID, value: 'x'.repeat(70_000) }, { tag: Tag.ParleyStepUpMethod, value: '\u0000' }],
    ] as Field[][]) {
      await flow.response(msg(MSG.StepUpResponse, body));
      const r = resultSent();
      expect(r.result).toBe('unknown');
      expect(r.challengeId.length).toBeLessThanOrEqual(64);
    }
    // a TOTP "code" that is no code at all costs an attempt like any wrong answer, and the challenge stays
    await flow.response(totp(id, 'x'.repeat(10_000)));
    expect(resultSent()).toMatchObject({ result: 'failed', attemptsLeft: 2 });
    expect(flow.state.name).toBe('challenged');
    await flow.response(totp(id, code(Date.now())));
    expect(settled).toEqual([{ satisfied: HIT, method: 'totp' }]);
  });

  it('another session\'s challenge id is unknown here and costs its owner nothing', async () => {
    const other = flowFor('alice', 's2');
    other.challenge(HIT, { acr: 'mfa' }, 'a hit');
    const foreign = challengeSent().challengeId;
    flow.challenge({ kind: 'logon' }, { acr: 'mfa' }, 'logon');
    await flow.response(totp(foreign, wrong(Date.now())));
    expect(resultSent()).toMatchObject({ challengeId: foreign, result: 'unknown' });
    expect(audits).toContain('stepup.unknown');
    await other.response(totp(foreign, code(Date.now())));
    expect(settled).toEqual([{ satisfied: HIT, method: 'totp' }]);
  });

  it('two answers at once: the second is refused while the first is checked, and the first one counts', async () => {
    flow.challenge(HIT, { acr: 'mfa' }, 'a hit');
    const id = challengeSent().challengeId;
    const first = flow.response(totp(id, code(Date.now())));
    const second = flow.response(totp(id, wrong(Date.now())));
    await Promise.all([first, second]);
    const results = sent.filter((m) => m.msgType === MSG.StepUpResult).map((m) => readStepUpResult(m));
    expect(results).toMatchObject([
      { result: 'failed', attemptsLeft: 3, text: 'an answer to this challenge is already being checked' },
      { result: 'success' },
    ]);
    expect(settled).toEqual([{ satisfied: HIT, method: 'totp' }]);
  });
});
