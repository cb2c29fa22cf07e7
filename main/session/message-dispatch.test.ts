/**
 * The dispatch table: an unknown MsgType is logged and ignored, a handler that throws on a hostile message is
 * contained, and the session's own handlers (step-up relay, key registration, history, open RFQs, reference
 * data) given garbage, truncated, oversized and hostile messages leave the table serving the next message.
 */
import { describe, expect, it } from 'vitest';
import { FixMessage, type Field } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { stepUpChallengeFields } from '../../fix/parley-protocol.ts';
import type { FixSession } from '../../fix/session.ts';
import type { Notification, OpenRfq, StepUpChallenge } from '../ipc/contract.ts';
import { MessageDispatch } from './message-dispatch.ts';
import { OpenRfqs } from './open-rfqs.ts';
import { ReferenceData } from './reference-data.ts';
import { SecurityKeyRegistration } from './security-key-registration.ts';
import type { SessionLink } from './session-link.ts';
import { StepUpRelay } from './step-up-relay.ts';
import { TradeHistory } from './trade-history.ts';

const msg = (type: string, body: Field[] = []) => new FixMessage([{ tag: Tag.MsgType, value: type }, ...body]);

function recorder() {
  const warnings: string[] = [];
  return { warnings, log: { warn: (m: string) => warnings.push(m) } };
}

describe('MessageDispatch', () => {
  it('ignores and logs a type nobody registered', () => {
    const { warnings, log } = recorder();
    const d = new MessageDispatch(log);
    const seen: string[] = [];
    d.on(MsgType.Quote, (m) => seen.push(m.msgType));
    expect(d.dispatch(msg('ZZ'))).toBe('unknown');
    expect(d.dispatch(msg('x'.repeat(10_000)))).toBe('unknown');
    expect(d.dispatch(msg(MsgType.Quote))).toBe('handled');
    expect(seen).toEqual([MsgType.Quote]);
    expect(warnings).toHaveLength(2);
    // The peer's type is bounded in the log line.
    expect(warnings[1]!.length).toBeLessThan(100);
  });

  it('contains a handler that throws and keeps serving', () => {
    const { warnings, log } = recorder();
    const d = new MessageDispatch(log);
    let served = 0;
    d.on(MsgType.ExecutionReport, () => { throw new Error('x'.repeat(5_000)); });
    d.on(MsgType.Quote, () => { served++; });
    expect(d.dispatch(msg(MsgType.ExecutionReport))).toBe('failed');
    expect(d.dispatch(msg(MsgType.Quote))).toBe('handled');
    expect(served).toBe(1);
    expect(warnings[0]!.length).toBeLessThan(600);
  });

  it('refuses a second handler for one type (a wiring bug)', () => {
    const d = new MessageDispatch().on(MsgType.Quote, () => {});
    expect(() => d.on(MsgType.Quote, () => {})).toThrow(/already/);
    expect(d.handles(MsgType.Quote)).toBe(true);
    expect(d.handles(MsgType.QuoteCancel)).toBe(false);
  });

  it("hostile messages to the session's handlers do not break serving", () => {
    const sent: { type: string; body: Field[] }[] = [];
    const notes: Notification['level'][] = [];
    let seq = 0;
    const link: SessionLink = {
      active: () => ({ send: (type: string, body: Field[]) => void sent.push({ type, body }) }) as unknown as FixSession,
      nextId: (p) => `${p}-${++seq}`,
      timeoutMs: (f) => f,
      notify: (level) => void notes.push(level),
    };
    const challenges: StepUpChallenge[] = [];
    const views: OpenRfq[][] = [];
    const stepUp = new StepUpRelay(link, { challenge: (c) => challenges.push(c), resolved: () => {}, logonChallenged: () => {} });
    const keys = new SecurityKeyRegistration(link);
    const history = new TradeHistory(link);
    const open = new OpenRfqs(link, (rows) => views.push(rows));
    const reference = new ReferenceData(link, () => ({ ready: true, state: 'connected' }));
    const { warnings, log } = recorder();
    const d = new MessageDispatch(log)
      .on(MsgType.ParleyStepUpChallenge, (m) => stepUp.onChallenge(m))
      .on(MsgType.ParleyStepUpResult, (m) => stepUp.onResult(m))
      .on(MsgType.ParleyKeyRegistrationResult, (m) => keys.onResult(m))
      .on(MsgType.TradeCaptureReportRequestAck, (m) => history.onAck(m))
      .on(MsgType.TradeCaptureReport, (m) => history.onReport(m))
      .on(MsgType.ParleyOpenRfqsAck, (m) => open.onAck(m))
      .on(MsgType.QuoteStatusReport, (m) => open.onReport(m))
      .on(MsgType.ParleyDealerList, (m) => reference.onDealerList(m))
      .on(MsgType.SecurityList, (m) => reference.onSecurityList(m));

    const huge = 'A'.repeat(100_000);
    const hostile: FixMessage[] = [
      // Empty / truncated: only the type.
      ...[MsgType.ParleyStepUpChallenge, MsgType.ParleyStepUpResult, MsgType.ParleyKeyRegistrationResult, MsgType.TradeCaptureReportRequestAck,
        MsgType.TradeCaptureReport, MsgType.ParleyOpenRfqsAck, MsgType.QuoteStatusReport, MsgType.ParleyDealerList, MsgType.SecurityList].map((t) => msg(t)),
      // A challenge with a hostile id, with garbage WebAuthn options, already expired, resent from an old connection.
      msg(MsgType.ParleyStepUpChallenge, stepUpChallengeFields({ challengeId: '../../etc', methods: ['totp'], scope: 'logon', factors: [], expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3 })),
      msg(MsgType.ParleyStepUpChallenge, stepUpChallengeFields({ challengeId: 'W1', methods: ['webauthn'], scope: 'action', factors: [], expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3, webauthnOptions: '{not json' })),
      msg(MsgType.ParleyStepUpChallenge, stepUpChallengeFields({ challengeId: 'OLD', methods: ['totp'], scope: 'logon', factors: [], expiresAt: new Date(Date.now() - 1_000), attemptsLeft: 3 })),
      msg(MsgType.ParleyStepUpChallenge, [{ tag: Tag.PossDupFlag, value: 'Y' }, ...stepUpChallengeFields({ challengeId: 'DUP', methods: ['totp'], scope: 'logon', factors: [], expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3 })]),
      // Oversized and nonsense values.
      msg(MsgType.TradeCaptureReportRequestAck, [{ tag: Tag.TradeRequestID, value: huge }, { tag: Tag.TotNumTradeReports, value: '-99999999999999999999' }]),
      msg(MsgType.ParleyOpenRfqsAck, [{ tag: Tag.ParleyRequestID, value: huge }, { tag: Tag.ParleyReportCount, value: 'NaN' }, { tag: Tag.Text, value: huge }]),
      msg(MsgType.ParleyKeyRegistrationResult, [{ tag: Tag.ParleyRequestID, value: huge }, { tag: Tag.ParleyKeyRegStatus, value: 'OPTIONS' }, { tag: Tag.ParleyWebAuthnOptions, value: huge }]),
      msg(MsgType.ParleyDealerList, [{ tag: Tag.NoParleyDealers, value: '100000' }, { tag: Tag.ParleyDealerName, value: '<script>' }]),
      msg(MsgType.SecurityList, [{ tag: Tag.NoRelatedSym, value: '-1' }, { tag: Tag.Symbol, value: huge }]),
      msg(MsgType.QuoteStatusReport, [{ tag: Tag.QuoteReqID, value: huge }, { tag: Tag.ParleyRfqOwner, value: huge }, { tag: Tag.QuoteStatus, value: '\u0000' }]),
    ];
    for (const m of hostile) expect(d.dispatch(m)).not.toBe('unknown');
    expect(challenges).toEqual([]);

    // Still serving: a well-formed challenge is relayed.
    const ok = msg(MsgType.ParleyStepUpChallenge, stepUpChallengeFields({ challengeId: 'C1', methods: ['totp'], scope: 'logon', factors: [], expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3 }));
    expect(d.dispatch(ok)).toBe('handled');
    expect(challenges.map((c) => c.challengeId)).toEqual(['C1']);
    expect(stepUp.pending?.challengeId).toBe('C1');
    // Nothing was sent in answer to the garbage, and every failure was contained with a log line at most.
    expect(sent).toEqual([]);
    expect(warnings.every((w) => w.length < 700)).toBe(true);
  });
});
