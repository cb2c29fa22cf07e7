/**
 * One logged-on client session: its authentication strength, device posture and deadlines, the step-up
 * challenge it may owe, its rate limit, and the dispatch of its application messages to the desk — each
 * action through the Cedar access policy first.
 */
import { randomBytes } from 'node:crypto';
import type { Field, FixMessage } from '../../fix/codec.ts';
import {
  MSG, TAG, attestationRequestFields, dealerListFields, decisionToWire, keyRegistrationResultFields, logoutDecisionFields,
  readKeyRegistrationRequest, readStepUpResponse, safeText, type KeyRegistrationResult,
  securityStatusFields, stepUpChallengeFields, stepUpResultFields, type SecurityStatus, type StatusScope, type StepUpMethod,
} from '../../fix/parley-protocol.ts';
import { TAKEN_OVER, type FixSession } from '../../fix/session.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { Owner, Quote } from '../desk/desk.ts';
import type { AccessAction, AccessDecision, DeviceCompliance } from '../policy/engine.ts';
import type { RiskDecision } from '../risk/score.ts';
import {
  executionFields, executionRejectFields, parseQuoteRequest, parseQuoteResponse, quoteFields, quoteRequestRejectFields,
  quoteStatusFields, securityListFields, tradeCaptureFields, tradeRequestAckFields,
} from './fix-mapping.ts';
import { StepUpError, type StepUpAnswer, type StepUpChallenge } from '../mfa/stepup.ts';
import { describeRisk, riskFactors, type LogonContext } from './logon.ts';
import type { Ports } from './ports.ts';
import { TokenBucket } from './rate-limit.ts';

export type SessionState = 'challenged' | 'active' | 'downgraded' | 'ended';
type Challenge = {
  id: string; scope: StatusScope; expiresAt: number; attemptsLeft: number; methods: StepUpMethod[];
  requestRef?: string; onSuccess?: () => void; onFailure?: (reason: string) => void;
};

const ACR = { mfa: 'urn:parley:acr:mfa', phr: 'urn:parley:acr:phr', phrh: 'urn:parley:acr:phrh' } as const;
/** fix/session's close reasons for a connection that went away without a Logout (the session may resume); a
 *  takeover by the same certificate is the resume itself. */
const CONNECTION_LOST = new RegExp(`^(connection closed|peer closed the connection|timed out waiting for the peer|${TAKEN_OVER})`);
/** Messages a challenged or downgraded session may still send. */
const ALWAYS_ALLOWED = new Set<string>([MSG.StepUpResponse, MSG.Attestation]);

export class LiveSession {
  readonly id = randomBytes(6).toString('hex');
  readonly fix: FixSession;
  readonly conn: FixsConnection;
  readonly ctx: LogonContext;
  readonly since = new Date();
  state: SessionState = 'active';
  risk: RiskDecision;
  strongestAuth: 'password' | 'totp' | 'webauthn' = 'password';
  mfaAt: number | null = null;
  compliance: DeviceCompliance;
  attestDeadline: number;
  endReason: string | null = null;
  /** The connection went without a Logout: the client may resume the FIX session on a new connection. */
  #dropped = false;
  /** The live session that resumed this one's FIX session after the drop. */
  #successor: LiveSession | null = null;
  #challenge: Challenge | null = null;
  #reminded = false;
  #downgradeReason = '';
  readonly #bucket: TokenBucket;
  readonly #ports: Ports;
  #rfqSub: string | null = null;
  readonly #onRfq = (v: Parameters<typeof quoteStatusFields>[0]) => {
    if (this.#rfqSub && this.state === 'active') this.#send('AI', quoteStatusFields(v, this.#rfqSub));
  };

  constructor(fix: FixSession, conn: FixsConnection, ctx: LogonContext, ports: Ports) {
    this.fix = fix;
    this.conn = conn;
    this.ctx = ctx;
    this.#ports = ports;
    this.risk = ctx.risk;
    this.compliance = ctx.compliance;
    const s = ports.settings;
    this.#bucket = new TokenBucket(s.rateLimit.messagesPerSec, s.rateLimit.burst);
    this.attestDeadline = Date.now() + s.attestation.reattestIntervalSec * 1000;
    if (ctx.priorAuth) {
      this.strongestAuth = ctx.priorAuth.method;
      this.mfaAt = ctx.priorAuth.at;
    }
  }

  get user() { return this.ctx.user; }
  get owner(): Owner { return { user: this.ctx.user.username, compId: this.ctx.compId, sessionId: this.id }; }
  get challengeId(): string | null { return this.#challenge?.id ?? null; }
  /** A method, not a property read, so TypeScript does not narrow it away after calls that may end the session. */
  isEnded(): boolean { return this.state === 'ended'; }
  /** True once the connection dropped without a Logout (the RFQs stay open for a resumed session). */
  get dropped(): boolean { return this.#dropped; }

  /** A new connection resumed this dropped session's FIX session: quotes still due on its RFQs go there. */
  handOver(next: LiveSession): void {
    if (next !== this) this.#successor = next;
  }

  #deliverQuote(q: Quote): void {
    let s: LiveSession = this;
    for (let i = 0; i < 1_000 && s.#successor; i++) s = s.#successor;
    if (!s.#dropped) { s.#send('S', quoteFields(q)); return; }
    // Nobody is connected: store the quote in the FIX session, so the client's ResendRequest on resuming gets it.
    try { s.fix.send('S', quoteFields(q)); } catch (e) { s.#audit('session.send-failed', { msgType: 'S', error: (e as Error).message }); }
  }

  #audit(type: string, data: Record<string, unknown> = {}): void {
    this.#ports.audit.event(type, { session: this.id, user: this.user.username, compId: this.ctx.compId, ...data });
  }

  #send(msgType: string, body: Field[]): void {
    if (this.state === 'ended' || this.fix.state === 'closed') return;
    try {
      this.fix.send(msgType, body);
    } catch (e) {
      this.#audit('session.send-failed', { msgType, error: (e as Error).message });
    }
  }

  status(s: Omit<SecurityStatus, 'factors'> & { factors?: SecurityStatus['factors'] }): void {
    this.#send(MSG.SecurityStatus, securityStatusFields({ factors: [], ...s }));
  }

  /** Called once the FIX Logon is answered. */
  start(): void {
    if (this.risk.decision === 'step-up') {
      this.state = 'challenged';
      // Offer only the second factors that bring the score under the deny threshold (risk/score.ts): when a
      // security key is the only one, the challenge asks for phishing-resistant authentication.
      const helps = this.ctx.risk.stepUpMethods;
      const acr = helps.length > 0 && !helps.includes('totp') ? 'phr' : 'mfa';
      void this.#challengeFor('logon', { acr }, `logon needs a second factor: ${describeRisk(this.risk)}; ${this.ctx.risk.summary}`);
    } else {
      this.#activate('logon');
    }
    if (this.user.role === 'Risk Officer') this.#ports.desk.on('rfq', this.#onRfq);
  }

  #activate(scope: StatusScope): void {
    this.state = 'active';
    this.status({
      decision: 'allow', scope, score: this.risk.score, factors: riskFactors(this.risk), role: this.user.role,
      attestDeadline: new Date(this.attestDeadline), text: describeRisk(this.risk),
    });
    if (scope === 'logon') this.#sendReferenceData();
  }

  #sendReferenceData(): void {
    const desk = this.#ports.desk;
    this.#send('y', securityListFields('LOGON', [...desk.instruments.values()]));
    this.#send(MSG.DealerList, dealerListFields(desk.dealers));
  }

  // ------------------------------------------------------------------ step-up
  async #challengeFor(scope: StatusScope, need: { acr: 'mfa' | 'phr' | 'phrh'; maxAgeSec?: number }, text: string,
    requestRef?: string, onSuccess?: () => void, onFailure?: (reason: string) => void): Promise<void> {
    try {
      await this.#issueChallenge(scope, need, text, requestRef, onSuccess, onFailure);
    } catch (e) {
      // A challenge that cannot be issued fails closed: the logon ends, the held action is refused.
      this.#internal(e);
      if (scope === 'logon') await this.end('step-up could not be issued', 'logon');
      else onFailure?.('step-up could not be issued');
    }
  }

  async #issueChallenge(scope: StatusScope, need: { acr: 'mfa' | 'phr' | 'phrh'; maxAgeSec?: number }, text: string,
    requestRef?: string, onSuccess?: () => void, onFailure?: (reason: string) => void): Promise<void> {
    const s = this.#ports.settings.stepUp;
    let c: StepUpChallenge;
    try {
      // The manager binds the challenge to this session, picks the methods the acr allows and the user has
      // enrolled, and counts wrong answers per user (so reconnecting does not buy fresh attempts).
      c = this.#ports.stepUps.issue({
        sessionId: this.id, user: this.user, reason: scope === 'logon' ? this.risk.factors : [text], requiredAcr: need.acr,
        ...(need.maxAgeSec !== undefined ? { maxAgeSec: need.maxAgeSec } : {}), methods: s.methods,
      });
    } catch (e) {
      if (!(e instanceof StepUpError)) throw e;
      this.#audit('stepup.impossible', { scope, acr: need.acr, reason: e.message });
      const reason = `a second factor is required but cannot be asked: ${e.message}`;
      if (scope === 'logon') { await this.end(reason, 'logon'); return; }
      onFailure?.(reason);
      return;
    }
    const ch: Challenge = {
      id: c.id, scope, methods: c.methods, expiresAt: c.expiresAt, attemptsLeft: c.attemptsLeft,
      ...(requestRef ? { requestRef } : {}), ...(onSuccess ? { onSuccess } : {}), ...(onFailure ? { onFailure } : {}),
    };
    // A newer challenge replaces an older one (the manager forgets it too); its held action is dropped with a reason.
    this.#challenge?.onFailure?.('superseded by a newer step-up challenge');
    this.#challenge = ch;
    this.#audit('stepup.challenge', { scope, challenge: c.id, methods: c.methods, acr: need.acr, maxAgeSec: need.maxAgeSec ?? null, requestRef: requestRef ?? null, score: this.risk.score });
    this.#send(MSG.StepUpChallenge, stepUpChallengeFields({
      challengeId: c.id, methods: c.methods, scope, score: this.risk.score, factors: riskFactors(this.risk), expiresAt: new Date(c.expiresAt),
      attemptsLeft: c.attemptsLeft, requiredAcr: ACR[need.acr], maxAuthAgeSec: need.maxAgeSec ?? s.maxAuthAgeSec,
      ...(c.webauthnOptions ? { webauthnOptions: JSON.stringify(c.webauthnOptions) } : {}), ...(requestRef ? { requestRef } : {}), text,
    }));
  }

  async #onStepUpResponse(m: FixMessage): Promise<void> {
    const r = readStepUpResponse(m);
    const ch = this.#challenge;
    if (!r) {
      this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: m.get(TAG.ChallengeID) ?? '', result: 'unknown', text: 'malformed step-up response' }));
      return;
    }
    if (!ch || ch.id !== r.challengeId) {
      // Challenges are bound to the session that asked: an id from elsewhere (or a stale one) is unknown here.
      this.#audit('stepup.unknown', { challenge: r.challengeId });
      this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: r.challengeId, result: 'unknown', text: 'no such challenge on this session' }));
      return;
    }
    if (Date.now() >= ch.expiresAt) {
      this.#expire(ch);
      return;
    }
    let answer: StepUpAnswer;
    if (r.method === 'totp') {
      answer = { method: 'totp', code: r.code ?? '' };
    } else {
      let response: unknown;
      try { response = JSON.parse(r.webauthnResponse ?? ''); } catch { response = undefined; }
      answer = { method: 'webauthn', response };
    }
    const v = await this.#ports.stepUps.answer(this.id, ch.id, answer);
    if (this.#challenge !== ch || this.state === 'ended') return;
    if (!v.ok) {
      ch.attemptsLeft = v.attemptsLeft;
      this.#audit('stepup.failed', { challenge: ch.id, method: r.method, reason: v.reason, attemptsLeft: v.attemptsLeft });
      if (v.lockedOut) {
        this.#challenge = null;
        const s = this.#ports.settings.stepUp;
        this.#ports.recentAuth.forget(this.user.username);
        this.#ports.decisions.forgetVerifiedPassword(this.user.username);
        this.#ports.audit.alert('stepup.lockout', { session: this.id, user: this.user.username, compId: this.ctx.compId, method: r.method });
        this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'locked', attemptsLeft: 0, text: `too many wrong answers; locked out for ${s.lockoutSec} s` }));
        ch.onFailure?.('locked out after too many wrong step-up answers');
        void this.end('locked out after too many wrong step-up answers', ch.scope);
        return;
      }
      this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'failed', attemptsLeft: v.attemptsLeft, text: v.reason }));
      return;
    }
    this.#challenge = null;
    this.mfaAt = Date.now();
    if (r.method === 'webauthn' || this.strongestAuth === 'password') this.strongestAuth = r.method;
    this.#ports.recentAuth.remember(this.user.username, this.ctx.serial, { method: r.method, at: this.mfaAt });
    this.#audit('stepup.success', { challenge: ch.id, method: r.method, scope: ch.scope });
    this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'success', attemptsLeft: ch.attemptsLeft }));
    // A re-score at or above the deny threshold ends the session (rescore does it); anything below is allowed
    // now that the step-up is satisfied — the 20–39 band means exactly "allowed once a step-up is satisfied".
    this.rescore(ch.scope === 'logon' ? 'logon' : 'action');
    if (this.isEnded()) return;
    if (ch.scope === 'logon') {
      if (this.risk.decision === 'allow') this.#activate('logon');
      else void this.end(`${describeRisk(this.risk)} after step-up`, 'logon');
    } else {
      ch.onSuccess?.();
    }
  }

  #expire(ch: Challenge): void {
    this.#challenge = null;
    this.#ports.stepUps.cancelSession(this.id);
    this.#audit('stepup.expired', { challenge: ch.id, scope: ch.scope });
    this.#send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'expired', text: 'the challenge expired' }));
    if (ch.scope === 'logon') void this.end('step-up challenge expired', 'logon');
    else ch.onFailure?.('step-up challenge expired');
  }

  /** Recomputes the session's risk score from its current authentication and device state. */
  rescore(scope: StatusScope): RiskDecision {
    const prev = this.risk;
    const r = this.#ports.decisions.score({
      user: this.user, strongestAuth: this.strongestAuth, deviceAttested: this.compliance !== 'unknown',
      deviceCompliant: this.compliance === 'compliant' || this.compliance === 'highly-compliant', ip: this.ctx.ip,
      ...(this.ctx.country ? { country: this.ctx.country } : {}),
    });
    // In the step-up band a satisfied second factor is what the band asks for: allowed, not asked again.
    this.risk = r.decision === 'step-up' && this.strongestAuth !== 'password' ? { ...r, decision: 'allow' } : r;
    this.#audit('risk.rescore', { scope, from: prev.score, score: this.risk.score, decision: this.risk.decision, factors: this.risk.factors });
    if (this.risk.decision === 'deny') {
      this.#ports.audit.alert('session.denied', { session: this.id, user: this.user.username, score: this.risk.score, factors: this.risk.factors });
      void this.end(`denied: ${describeRisk(this.risk)}`, scope);
    }
    return this.risk;
  }

  // ------------------------------------------------------------------ application messages
  onMessage(m: FixMessage): void {
    if (this.state === 'ended') return;
    if (!this.#bucket.take()) {
      const strikes = this.#bucket.strikes;
      if (strikes === 1) this.#audit('session.rate-limited', { msgType: m.msgType });
      if (strikes > Math.max(50, this.#bucket.burst * 2)) {
        this.#ports.audit.alert('session.flood', { session: this.id, user: this.user.username, strikes });
        void this.end('message flood: rate limit exceeded', 'policy');
      } else if (strikes <= 5) {
        this.#reject(m, 0, 'rate limit exceeded; message dropped');
      }
      return;
    }
    const t = m.msgType;
    if (t === MSG.StepUpResponse) { void this.#onStepUpResponse(m).catch((e: unknown) => this.#internal(e)); return; }
    if (t === MSG.Attestation) { void this.#onAttestation(m).catch((e: unknown) => this.#internal(e)); return; }
    if (!ALWAYS_ALLOWED.has(t) && this.state === 'challenged') {
      this.#reject(m, 6, 'step-up authentication required: answer the pending challenge first', 'step-up', this.#challenge?.id);
      return;
    }
    if (this.state === 'downgraded' && t !== 'x' && t !== MSG.DealerListRequest) {
      this.#reject(m, 6, `session downgraded (${this.#downgradeReason}); send a fresh attestation`, 'downgraded');
      return;
    }
    try {
      switch (t) {
        case 'R': this.#onQuoteRequest(m); break;
        case 'AJ': this.#onQuoteResponse(m); break;
        case 'Z': this.#onQuoteCancel(m); break;
        case 'AD': this.#onTradeRequest(m); break;
        case 'x': this.#send('y', securityListFields(m.get(320) ?? 'REQ', [...this.#ports.desk.instruments.values()])); break;
        case MSG.DealerListRequest: this.#send(MSG.DealerList, dealerListFields(this.#ports.desk.dealers, m.get(TAG.RequestID))); break;
        case MSG.OpenRfqsRequest: this.#onOpenRfqs(m); break;
        case MSG.KeyRegistrationRequest: void this.#onKeyRegistration(m).catch((e: unknown) => this.#internal(e)); break;
        default: this.#reject(m, 3, `MsgType ${t} is not supported by the Parley gateway`);
      }
    } catch (e) {
      this.#internal(e);
    }
  }

  #internal(e: unknown): void {
    this.#audit('session.internal-error', { error: (e as Error).message });
  }

  /** BusinessMessageReject(j), with Parley's decision fields when a decision is the reason. */
  #reject(m: FixMessage, reason: number, text: string, decision?: 'step-up' | 'deny' | 'downgraded', challengeId?: string, policyReason?: string): void {
    const f: Field[] = [];
    const seq = m.get(34);
    if (seq) f.push({ tag: 45, value: seq });
    f.push({ tag: 58, value: safeText(text) }, { tag: 372, value: m.msgType });
    const ref = m.get(131) ?? m.get(693) ?? m.get(568) ?? m.get(11);
    if (ref) f.push({ tag: 379, value: safeText(ref, 64) });
    f.push({ tag: 380, value: String(reason) });
    if (decision) f.push({ tag: TAG.Decision, value: decisionToWire(decision) });
    if (challengeId) f.push({ tag: TAG.ChallengeID, value: challengeId });
    if (policyReason) f.push({ tag: TAG.PolicyReason, value: safeText(policyReason) });
    this.#send('j', f);
  }

  /** Runs an action through the access policy: allow runs it, step-up challenges then runs it, deny refuses. */
  #authorize(action: AccessAction, ref: string, run: () => void, refuse: (reason: string) => void, notional?: number): void {
    const d = this.#decide(action, ref, notional);
    if (d.decision === 'allow' || !d.enforced) { run(); return; }
    const why = d.messages.length ? d.messages.join('; ') : d.reasons.join('; ');
    if (d.decision === 'deny') {
      this.#deniedByPolicy(action, ref, d, refuse);
      return;
    }
    const acr = d.stepUp?.acr ?? 'mfa';
    void this.#challengeFor('action', { acr, ...(d.stepUp?.maxAgeSec !== undefined ? { maxAgeSec: d.stepUp.maxAgeSec } : {}) },
      `${action} needs a fresh second factor: ${why}`, ref, run, refuse);
  }

  /** The access policy's decision for one request on this session, audited. */
  #decide(action: AccessAction, ref: string, notional?: number): AccessDecision {
    const d: AccessDecision = this.#ports.decisions.authorize({
      user: this.user, action,
      context: {
        network: this.ctx.network, deviceCompliance: this.compliance, mfa: this.mfaAt !== null,
        ...(this.mfaAt !== null ? { mfaAgeSec: Math.floor((Date.now() - this.mfaAt) / 1000) } : {}),
        ip: this.ctx.ip, ...(this.ctx.country ? { country: this.ctx.country } : {}), ...(notional !== undefined ? { notional } : {}),
      },
    });
    this.#audit('access.decision', { action, ref, decision: d.decision, enforced: d.enforced, reasons: d.reasons, controls: d.controls, notional: notional ?? null });
    return d;
  }

  /** An enforced deny: alerted, told to the client with the policy's reasons, and the request refused. */
  #deniedByPolicy(action: AccessAction, ref: string, d: AccessDecision, refuse: (reason: string) => void): void {
    const why = d.messages.length ? d.messages.join('; ') : d.reasons.join('; ');
    this.#ports.audit.alert('access.denied', { session: this.id, user: this.user.username, action, ref, reasons: d.reasons });
    this.status({ decision: 'deny', scope: 'action', factors: [], reasons: d.messages.length ? d.messages : d.reasons, controls: d.controls, requestRef: ref, text: `${action} denied: ${why}` });
    refuse(`denied by policy: ${why}`);
  }

  #onQuoteRequest(m: FixMessage): void {
    const p = parseQuoteRequest(m);
    if (!p.ok) { this.#send('AG', quoteRequestRejectFields(m.get(131) ?? '', undefined, 99, p.reason)); return; }
    const rfq = p.value;
    this.#authorize('CreateRfq', rfq.quoteReqId, () => {
      if (this.state === 'ended') return;
      const r = this.#ports.desk.submitRfq(this.owner, rfq, (q) => this.#deliverQuote(q));
      if (!r.ok) {
        this.#send('AG', quoteRequestRejectFields(rfq.quoteReqId, rfq.symbol, /unknown instrument/.test(r.reason) ? 1 : 99, r.reason));
        return;
      }
      this.#audit('rfq.created', { quoteReqId: rfq.quoteReqId, symbol: rfq.symbol, qty: rfq.qty, side: rfq.side ?? null });
    }, (reason) => this.#send('AG', quoteRequestRejectFields(rfq.quoteReqId, rfq.symbol, 99, reason)), rfq.qty);
  }

  #onQuoteResponse(m: FixMessage): void {
    const p = parseQuoteResponse(m);
    if (!p.ok) {
      this.#send('8', executionRejectFields({ quoteRespId: m.get(693) ?? 'UNKNOWN', quoteId: m.get(117) ?? '' }, p.reason, 'malformed'));
      return;
    }
    const h = p.value;
    const q = this.#ports.desk.quote(h.quoteId);
    const notional = q ? q.qty : h.qty;
    this.#authorize('HitQuote', h.quoteRespId, () => {
      if (this.state === 'ended') return;
      const r = this.#ports.desk.hit(this.owner, h);
      if (r.ok) {
        this.#audit('trade.executed', { tradeId: r.trade.tradeId, quoteId: r.trade.quoteId, quoteRespId: h.quoteRespId, symbol: r.trade.symbol, qty: r.trade.qty, price: r.trade.price, dealer: r.trade.dealer });
        this.#send('8', executionFields(r.trade));
      } else {
        this.#audit('trade.refused', { quoteRespId: h.quoteRespId, quoteId: h.quoteId, code: r.code, reason: r.reason });
        this.#send('8', executionRejectFields({ ...h, symbol: h.symbol ?? q?.symbol }, r.reason, r.code));
      }
    }, (reason) => this.#send('8', executionRejectFields({ ...h, symbol: h.symbol ?? q?.symbol }, reason, 'policy')), notional);
  }

  #onQuoteCancel(m: FixMessage): void {
    const id = m.get(131);
    if (!id) { this.#reject(m, 5, 'QuoteReqID(131) is required to cancel an RFQ'); return; }
    this.#authorize('CancelRfq', id, () => {
      const ok = this.#ports.desk.cancel(this.owner, id);
      if (ok) {
        this.#send('AI', [{ tag: 131, value: id }, { tag: 117, value: m.get(117) ?? `RFQ-${id}` }, { tag: 297, value: '4' }, { tag: 58, value: 'RFQ cancelled' }]);
      } else {
        this.#reject(m, 1, `no open RFQ ${id}`);
      }
    }, (reason) => this.#reject(m, 6, reason, 'deny'));
  }

  #onTradeRequest(m: FixMessage): void {
    const reqId = m.get(568);
    if (!reqId) { this.#reject(m, 5, 'TradeRequestID(568) is required'); return; }
    this.#authorize('ViewHistoricalTrades', reqId, () => {
      const symbol = m.get(55);
      // Risk officers see every trade; everyone else their own.
      const all = this.user.role === 'Risk Officer';
      const trades = this.#ports.desk.trades.query({ ...(all ? {} : { user: this.user.username }), ...(symbol ? { symbol } : {}), limit: 1000 });
      this.#send('AQ', tradeRequestAckFields(reqId, trades.length));
      trades.forEach((t, i) => this.#send('AE', tradeCaptureFields(t, reqId, trades.length, i === trades.length - 1)));
      this.#audit('trades.viewed', { reqId, count: trades.length });
    }, (reason) => this.#send('AQ', tradeRequestAckFields(reqId, 0, 9, reason)));
  }

  #onOpenRfqs(m: FixMessage): void {
    const reqId = m.get(TAG.RequestID) ?? '';
    const sub = m.get(263) ?? '0';
    if (sub === '2') { this.#rfqSub = null; this.#send(MSG.OpenRfqsAck, [{ tag: TAG.RequestID, value: reqId }, { tag: TAG.ReportCount, value: '0' }, { tag: 58, value: 'unsubscribed' }]); return; }
    this.#authorize('ViewAllOpenRfqs', reqId, () => {
      const open = this.#ports.desk.openRfqs();
      this.#send(MSG.OpenRfqsAck, [{ tag: TAG.RequestID, value: reqId }, { tag: TAG.ReportCount, value: String(open.length) }]);
      for (const r of open) this.#send('AI', quoteStatusFields(r, reqId));
      if (sub === '1') this.#rfqSub = reqId;
      this.#audit('rfqs.viewed', { reqId, count: open.length, subscribe: sub === '1' });
    }, (reason) => this.#send(MSG.OpenRfqsAck, [{ tag: TAG.RequestID, value: reqId }, { tag: TAG.ReportCount, value: '0' }, { tag: 58, value: safeText(reason) }]));
  }

  // ------------------------------------------------------------------ security-key registration
  #keyResult(r: KeyRegistrationResult): void {
    this.#send(MSG.KeyRegistrationResult, keyRegistrationResultFields(r));
  }

  /** A second factor proved on this session within the max age (RFC 9470 max_age). */
  #freshSecondFactor(): boolean {
    const maxAge = this.#ports.settings.stepUp.maxAuthAgeSec;
    return this.mfaAt !== null && maxAge > 0 && Date.now() - this.mfaAt <= maxAge * 1000;
  }

  async #onKeyRegistration(m: FixMessage): Promise<void> {
    const r = readKeyRegistrationRequest(m);
    if (!r) {
      this.#keyResult({ requestId: safeText(m.get(TAG.RequestID) ?? '', 64), status: 'rejected', text: 'malformed key registration request (RequestID and a BEGIN or FINISH stage are required)' });
      return;
    }
    if (r.stage === 'begin') {
      const refuse = (reason: string) => this.#keyResult({ requestId: r.requestId, status: 'rejected', text: `security key not registered: ${reason}` });
      // The access policy decides first (RegisterSecurityKey; a non-compliant device is denied there), before
      // any ceremony state exists.
      const d = this.#decide('RegisterSecurityKey', r.requestId);
      const enforced = d.enforced && d.decision !== 'allow';
      if (enforced && d.decision === 'deny') { this.#deniedByPolicy('RegisterSecurityKey', r.requestId, d, refuse); return; }
      const begin = () => { void this.#beginKeyRegistration(r.requestId).catch((e: unknown) => this.#internal(e)); };
      // The gateway's own floor holds whatever the policy says (log-only mode, an edited policy): adding a key is
      // adding a way in, so it needs a second factor proved within maxAuthAgeSec. One step-up satisfies both.
      if (!enforced && this.#freshSecondFactor()) { begin(); return; }
      this.#audit('webauthn.register-stepup', { requestId: r.requestId });
      const s = this.#ports.settings.stepUp;
      const maxAgeSec = Math.min(s.maxAuthAgeSec, d.stepUp?.maxAgeSec ?? Infinity);
      const acr = enforced ? (d.stepUp?.acr ?? 'mfa') : 'mfa';
      const why = enforced && d.messages.length ? d.messages.join('; ') : 'registering a security key needs a fresh second factor';
      await this.#challengeFor('action', { acr, maxAgeSec }, why, r.requestId, begin, refuse);
      return;
    }
    if (r.webauthnResponse === undefined || r.webauthnResponse === '') {
      this.#keyResult({ requestId: r.requestId, status: 'rejected', text: 'FINISH needs the authenticator response (WebAuthnResponse)' });
      return;
    }
    const v = await this.#ports.keys.finish(this.id, r.requestId, r.webauthnResponse);
    if (this.isEnded()) return;
    if (!v.ok) {
      this.#audit('webauthn.register-refused', { requestId: r.requestId, reason: v.reason });
      this.#keyResult({ requestId: r.requestId, status: 'rejected', text: v.reason });
      return;
    }
    this.#audit('webauthn.registered', { requestId: r.requestId, credentialId: v.credentialId });
    this.#keyResult({ requestId: r.requestId, status: 'registered', credentialId: v.credentialId, text: 'security key registered' });
  }

  async #beginKeyRegistration(requestId: string): Promise<void> {
    if (this.state !== 'active') {
      this.#keyResult({ requestId, status: 'rejected', text: `security key not registered: session is ${this.state}` });
      return;
    }
    const b = await this.#ports.keys.begin(this.id, requestId, this.user.username);
    if (this.isEnded()) return;
    if (!b.ok) {
      this.#audit('webauthn.register-refused', { requestId, reason: b.reason });
      this.#keyResult({ requestId, status: 'rejected', text: b.reason });
      return;
    }
    this.#audit('webauthn.register-begin', { requestId });
    this.#keyResult({ requestId, status: 'options', webauthnOptions: b.options });
  }

  // ------------------------------------------------------------------ continuous checks
  async #onAttestation(m: FixMessage): Promise<void> {
    const jws = m.get(TAG.Attestation) ?? '';
    const p = await this.#ports.posture.check(jws, this.conn);
    if (this.state === 'ended') return;
    const s = this.#ports.settings.attestation;
    if (!p.ok) {
      this.#audit('posture.result', { scope: 'reattest', ok: false, attestation: p.kind, reason: p.reason });
      this.lapse(`attestation refused (${p.kind}): ${p.reason}`);
      return;
    }
    this.#audit('posture.result', { scope: 'reattest', ok: true, compliance: p.compliance, reasons: p.reasons });
    const was = this.compliance;
    this.compliance = p.compliance;
    if (p.compliance === 'non-compliant' || p.compliance === 'unknown') {
      this.lapse(`device no longer compliant: ${p.reasons.join('; ') || p.compliance}`);
      return;
    }
    this.attestDeadline = Date.now() + s.reattestIntervalSec * 1000;
    this.#reminded = false;
    if (was !== p.compliance || this.state === 'downgraded') this.rescore('reattest');
    if (this.isEnded()) return;
    if (this.state === 'downgraded') { this.#downgradeReason = ''; this.state = 'active'; }
    if (this.state === 'active') {
      this.status({ decision: 'allow', scope: 'reattest', score: this.risk.score, factors: riskFactors(this.risk), attestDeadline: new Date(this.attestDeadline) });
    }
  }

  /** A posture lapse takes effect at once: downgrade or end, per configuration, with the reason. */
  lapse(reason: string): void {
    if (this.state === 'ended') return;
    const s = this.#ports.settings.attestation;
    this.#ports.audit.alert('posture.lapse', { session: this.id, user: this.user.username, compId: this.ctx.compId, reason, action: s.onLapse });
    if (s.onLapse === 'downgrade' && this.state !== 'challenged') {
      this.state = 'downgraded';
      this.#downgradeReason = reason;
      this.status({ decision: 'downgraded', scope: 'posture', factors: riskFactors(this.risk), score: this.risk.score, text: `session downgraded: ${reason}` });
      return;
    }
    void this.end(reason, 'posture');
  }

  /** Called about once a second by the manager. */
  tick(now: number): void {
    if (this.state === 'ended') return;
    const ch = this.#challenge;
    if (ch && now >= ch.expiresAt) {
      this.#expire(ch);
      if (ch.scope === 'logon') return;
    }
    const s = this.#ports.settings.attestation;
    if (now > this.attestDeadline) {
      if (this.state !== 'downgraded') this.lapse('re-attestation missing: no fresh attestation before the deadline');
      return;
    }
    if (!this.#reminded && now > this.attestDeadline - s.graceSec * 1000) {
      this.#reminded = true;
      this.#send(MSG.AttestationRequest, attestationRequestFields(new Date(this.attestDeadline), s.reattestIntervalSec, 'send a fresh attestation'));
    }
  }

  /** Ends the session with a reason the client sees (a UB ENDED with the factors, then Logout with Text). */
  async end(reason: string, scope: StatusScope): Promise<void> {
    if (this.state === 'ended') return;
    this.status({ decision: 'ended', scope, score: this.risk.score, factors: riskFactors(this.risk), text: reason });
    this.state = 'ended';
    this.endReason = reason;
    this.#challenge?.onFailure?.(reason);
    this.#challenge = null;
    this.#audit('session.ended', { reason, scope });
    await this.fix.logout(safeText(`session ended: ${reason}`),
      logoutDecisionFields({ decision: 'ended', scope, score: this.risk.score, factors: riskFactors(this.risk), reason }));
  }

  /**
   * The connection is gone (however it went). A Logout (either way) or an end we decided closes the FIX session
   * and cancels its open RFQs; a dropped connection keeps them, so the client can resume the session and still
   * hit a quote (they expire on their own otherwise).
   */
  closed(reason: string, loggedOut: boolean): void {
    const endedHere = this.state === 'ended';
    if (!endedHere) this.endReason = reason;
    this.state = 'ended';
    // Only a lost connection leaves the session resumable; one the FIX layer ended (a Logout for an oversized
    // message, a sequence problem, a daily reset) is over like any other end.
    this.#dropped = !endedHere && !loggedOut && CONNECTION_LOST.test(reason);
    this.#ports.desk.off('rfq', this.#onRfq);
    if (!this.#dropped) {
      this.#ports.desk.endFixSession(this.ctx.compId);
      this.#ports.recentAuth.forget(this.user.username, this.ctx.serial);
    }
    this.#ports.stepUps.cancelSession(this.id);
    this.#ports.keys.cancelSession(this.id);
  }

  view() {
    return {
      id: this.id, user: this.user.username, role: this.user.role, compId: this.ctx.compId, ip: this.ctx.ip,
      country: this.ctx.country ?? null, network: this.ctx.network, state: this.state, since: this.since.toISOString(),
      score: this.risk.score, decision: this.risk.decision, auth: this.strongestAuth, compliance: this.compliance,
      certSerial: this.ctx.serial, attestDeadline: new Date(this.attestDeadline).toISOString(),
    };
  }
}
