/**
 * A session's step-up, as an explicit state machine. The held step (the logon, or one request) is data carried
 * by the state; when the step-up settles the flow hands it back to its host, satisfied or failed with a cause.
 *
 *   idle ──challenge──▶ challenged ──answer──▶ checking ──right──▶ idle            (host.satisfied)
 *                          ▲  │                  │  └──wrong, attempts left──▶ challenged
 *                          │  │                  └──wrong, locked out──▶ idle     (host.failed 'locked')
 *                          │  └──expired (tick or late answer)──▶ idle          (host.failed 'expired')
 *     challenged/checking ──challenge──▶ challenged                             (old step: 'superseded')
 *     any ──cancel──▶ idle                                                         ('cancelled')
 *   challenge from idle that cannot be issued stays idle                           ('impossible' | 'error')
 *
 * The StepUpManager (gateway/mfa) owns the challenge itself: the methods, the per-user failure count and lockout,
 * the binding to this session. This flow owns what the session owes and what it is waiting to do.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import { readStepUpResponse, safeText, stepUpChallengeFields, stepUpResultFields, MSG, type Factor, type StatusScope, type StepUpMethod, type StepUpResponse } from '../../fix/parley-protocol.ts';
import { StepUpError, type Acr, type StepUpAnswer, type StepUpChallenge } from '../mfa/stepup.ts';
import type { RiskFactor } from '../risk/score.ts';
import type { Ports } from './ports.ts';
import type { HeldStep, SessionIo } from './session-io.ts';

const ACR_URN: Record<Acr, string> = { mfa: 'urn:parley:acr:mfa', phr: 'urn:parley:acr:phr', phrh: 'urn:parley:acr:phrh' };

export type StepUpNeed = { acr: Acr; maxAgeSec?: number };
export type StepUpFailure = 'impossible' | 'error' | 'superseded' | 'expired' | 'locked' | 'cancelled';

type OpenChallenge = {
  readonly id: string; readonly scope: StatusScope; readonly expiresAt: number; attemptsLeft: number;
  readonly held: HeldStep;
};

export type StepUpState =
  | { readonly name: 'idle' }
  | { readonly name: 'challenged'; readonly challenge: OpenChallenge }
  | { readonly name: 'checking'; readonly challenge: OpenChallenge };

export interface StepUpHost {
  /** The risk the challenge shows the user (score and factors). */
  risk(): { score: number; factors: Factor[]; reasons: RiskFactor[] };
  satisfied(held: HeldStep, method: StepUpMethod): void;
  failed(held: HeldStep, reason: string, cause: StepUpFailure): void;
}

const IDLE: StepUpState = { name: 'idle' };

export class StepUpFlow {
  #state: StepUpState = IDLE;
  readonly #io: SessionIo;
  readonly #ports: Pick<Ports, 'stepUps' | 'settings' | 'recentAuth' | 'decisions' | 'audit'>;
  readonly #host: StepUpHost;

  constructor(io: SessionIo, ports: Pick<Ports, 'stepUps' | 'settings' | 'recentAuth' | 'decisions' | 'audit'>, host: StepUpHost) {
    this.#io = io;
    this.#ports = ports;
    this.#host = host;
  }

  get state(): StepUpState { return this.#state; }
  get challengeId(): string | null { return this.#state.name === 'idle' ? null : this.#state.challenge.id; }

  /** Asks for a second factor before `held` may go on. `text` says why (for the logon, the risk factors do). */
  challenge(held: HeldStep, need: StepUpNeed, text: string, requestRef?: string): void {
    const scope: StatusScope = held.kind === 'logon' ? 'logon' : 'action';
    const s = this.#ports.settings.stepUp;
    const risk = this.#host.risk();
    let c: StepUpChallenge;
    try {
      // The manager binds the challenge to this session, picks the methods the acr allows and the user has
      // enrolled, and counts wrong answers per user (so reconnecting does not buy fresh attempts).
      c = this.#ports.stepUps.issue({
        sessionId: this.#io.id, user: this.#io.ctx.user, reason: scope === 'logon' ? risk.reasons : [text], requiredAcr: need.acr,
        ...(need.maxAgeSec !== undefined ? { maxAgeSec: need.maxAgeSec } : {}), methods: s.methods,
      });
    } catch (e) {
      // A challenge that cannot be issued fails closed: the logon ends, the held request is refused.
      if (!(e instanceof StepUpError)) {
        this.#io.internal(e);
        this.#host.failed(held, 'step-up could not be issued', 'error');
        return;
      }
      this.#io.audit('stepup.impossible', { scope, acr: need.acr, reason: e.message });
      this.#host.failed(held, `a second factor is required but cannot be asked: ${e.message}`, 'impossible');
      return;
    }
    const previous = this.#state;
    this.#state = { name: 'challenged', challenge: { id: c.id, scope, expiresAt: c.expiresAt, attemptsLeft: c.attemptsLeft, held } };
    // A newer challenge replaces an older one (the manager forgot it already); its held step is dropped with a reason.
    if (previous.name !== 'idle') this.#host.failed(previous.challenge.held, 'superseded by a newer step-up challenge', 'superseded');
    this.#io.audit('stepup.challenge', { scope, challenge: c.id, methods: c.methods, acr: need.acr, maxAgeSec: need.maxAgeSec ?? null, requestRef: requestRef ?? null, score: risk.score });
    this.#io.send(MSG.StepUpChallenge, stepUpChallengeFields({
      challengeId: c.id, methods: c.methods, scope, score: risk.score, factors: risk.factors, expiresAt: new Date(c.expiresAt),
      attemptsLeft: c.attemptsLeft, requiredAcr: ACR_URN[need.acr], maxAuthAgeSec: need.maxAgeSec ?? s.maxAuthAgeSec,
      ...(c.webauthnOptions ? { webauthnOptions: JSON.stringify(c.webauthnOptions) } : {}), ...(requestRef ? { requestRef } : {}), text,
    }));
  }

  /** A StepUpResponse (UD) from the client. */
  async response(m: FixMessage): Promise<void> {
    const r = readStepUpResponse(m);
    if (r) { await this.answer(r); return; }
    // No challenge id or no known method: answered, never counted.
    this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: safeText(m.get(Tag.ParleyChallengeID) ?? '', 64), result: 'unknown', text: 'malformed step-up response' }));
  }

  async answer(r: StepUpResponse): Promise<void> {
    const st = this.#state;
    if (st.name === 'idle' || st.challenge.id !== r.challengeId) {
      // Challenges are bound to the session that asked: an id from elsewhere (or a stale one) is unknown here.
      this.#io.audit('stepup.unknown', { challenge: r.challengeId });
      this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: r.challengeId, result: 'unknown', text: 'no such challenge on this session' }));
      return;
    }
    const ch = st.challenge;
    if (Date.now() >= ch.expiresAt) { this.#expire(ch); return; }
    if (st.name === 'checking') {
      // One answer at a time: a second one while the first is checked costs nothing and changes nothing.
      this.#wrong(ch, r.method, 'an answer to this challenge is already being checked', ch.attemptsLeft);
      return;
    }
    this.#state = { name: 'checking', challenge: ch };
    const v = await this.#ports.stepUps.answer(this.#io.id, ch.id, toAnswer(r));
    // Expired, superseded or cancelled meanwhile, or the session ended: the verdict no longer matters.
    if (this.#state.name !== 'checking' || this.#state.challenge !== ch || this.#io.isEnded()) return;
    if (v.ok) { this.#satisfied(ch, r.method); return; }
    ch.attemptsLeft = v.attemptsLeft;
    if (v.lockedOut) { this.#lockedOut(ch, r.method, v.reason, v.attemptsLeft); return; }
    this.#state = { name: 'challenged', challenge: ch };
    this.#wrong(ch, r.method, v.reason, v.attemptsLeft, v.replayed);
  }

  /** Called about once a second: a challenge past its expiry fails. */
  tick(now: number): void {
    if (this.#state.name !== 'idle' && now >= this.#state.challenge.expiresAt) this.#expire(this.#state.challenge);
  }

  /** The session is ending: a held step is dropped with the session's reason. */
  cancel(reason: string): void {
    const st = this.#state;
    this.#state = IDLE;
    if (st.name !== 'idle') this.#host.failed(st.challenge.held, reason, 'cancelled');
  }

  #satisfied(ch: OpenChallenge, method: StepUpMethod): void {
    this.#state = IDLE;
    this.#io.audit('stepup.success', { challenge: ch.id, method, scope: ch.scope });
    this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'success', attemptsLeft: ch.attemptsLeft }));
    this.#host.satisfied(ch.held, method);
  }

  /** A wrong answer; a replayed TOTP code reads the same to the client, the audit alone names it. */
  #wrong(ch: OpenChallenge, method: StepUpMethod, reason: string, attemptsLeft: number, replayed?: true): void {
    this.#io.audit('stepup.failed', { challenge: ch.id, method, reason, attemptsLeft, ...(replayed ? { replayed } : {}) });
    this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'failed', attemptsLeft, text: reason }));
  }

  #lockedOut(ch: OpenChallenge, method: StepUpMethod, reason: string, attemptsLeft: number): void {
    this.#state = IDLE;
    const { username } = this.#io.ctx.user;
    this.#io.audit('stepup.failed', { challenge: ch.id, method, reason, attemptsLeft });
    this.#ports.recentAuth.forget(username);
    this.#ports.decisions.forgetVerifiedPassword(username);
    this.#ports.audit.alert('stepup.lockout', { session: this.#io.id, user: username, compId: this.#io.ctx.compId, method });
    this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'locked', attemptsLeft: 0, text: `too many wrong answers; locked out for ${this.#ports.settings.stepUp.lockoutSec} s` }));
    this.#host.failed(ch.held, 'locked out after too many wrong step-up answers', 'locked');
  }

  #expire(ch: OpenChallenge): void {
    this.#state = IDLE;
    this.#ports.stepUps.cancelSession(this.#io.id);
    this.#io.audit('stepup.expired', { challenge: ch.id, scope: ch.scope });
    this.#io.send(MSG.StepUpResult, stepUpResultFields({ challengeId: ch.id, result: 'expired', text: 'the challenge expired' }));
    this.#host.failed(ch.held, 'step-up challenge expired', 'expired');
  }
}

function toAnswer(r: StepUpResponse): StepUpAnswer {
  if (r.method === 'totp') return { method: 'totp', code: r.code ?? '' };
  let response: unknown;
  try { response = JSON.parse(r.webauthnResponse ?? ''); } catch { response = undefined; }
  return { method: 'webauthn', response };
}
