/**
 * The step-up relay: the gateway's challenge (UC) goes to the user as a stepUpChallenge event, the user's
 * answer goes back as a StepUpResponse (UD), and the gateway's StepUpResult (UE) settles the answer and, unless
 * it was a wrong answer with attempts left, resolves the challenge.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { readStepUpChallenge, readStepUpResult, stepUpResponseFields, type StatusScope } from '../../fix/parley-protocol.ts';
import { ParleyError, WebAuthnOptionsSchema, type StepUpAnswer, type StepUpChallenge, type StepUpResult } from '../ipc/contract.ts';
import { PendingRequests } from './pending-requests.ts';
import { riskFactors } from './security-view.ts';
import type { SessionLink } from './session-link.ts';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,64}$/;

export interface StepUpEvents {
  challenge(c: StepUpChallenge): void;
  resolved(r: { challengeId: string; outcome: StepUpResult['outcome'] }): void;
  /** A challenge to the logon itself: the connection is 'challenged' until it is answered. */
  logonChallenged(reason: string): void;
}

export class StepUpRelay {
  readonly #link: SessionLink;
  readonly #on: StepUpEvents;
  readonly #answers = new PendingRequests<StepUpResult>();
  #challenge: StepUpChallenge | null = null;
  #scope: StatusScope | undefined;
  /** The RequestRef of the pending challenge (a held key registration names itself there). */
  #ref: string | undefined;

  constructor(link: SessionLink, on: StepUpEvents) {
    this.#link = link;
    this.#on = on;
  }

  get pending(): StepUpChallenge | null {
    return this.#challenge;
  }
  get pendingScope(): StatusScope | undefined {
    return this.#challenge ? this.#scope : undefined;
  }
  /** The request the pending challenge holds, if the gateway named one. */
  get heldRequest(): string | undefined {
    return this.#challenge ? this.#ref : undefined;
  }

  onChallenge(m: FixMessage): void {
    // A challenge resent from an earlier connection (PossDup) is void: the gateway binds each to its session.
    if (m.get(Tag.PossDupFlag) === 'Y') return;
    const c = readStepUpChallenge(m);
    if (c.expiresAt.getTime() <= Date.now()) return;
    if (!SAFE_ID.test(c.challengeId) || !c.methods.length) return;
    let webauthnOptions: StepUpChallenge['webauthnOptions'];
    if (c.webauthnOptions) {
      try {
        const parsed = WebAuthnOptionsSchema.safeParse(JSON.parse(c.webauthnOptions));
        if (parsed.success) webauthnOptions = parsed.data;
      } catch {
        /* unusable options: WebAuthn is then not offered */
      }
    }
    const methods = c.methods.filter((x) => x === 'totp' || webauthnOptions);
    if (!methods.length) return;
    this.#challenge = {
      challengeId: c.challengeId,
      methods,
      reason: riskFactors(c.factors),
      expiresAt: c.expiresAt.toISOString(),
      attemptsLeft: Math.max(0, c.attemptsLeft),
      ...(webauthnOptions ? { webauthnOptions } : {}),
    };
    this.#scope = c.scope;
    this.#ref = c.requestRef;
    if (c.scope === 'logon') this.#on.logonChallenged(c.text ?? 'step-up authentication required');
    this.#on.challenge(this.#challenge);
  }

  onResult(m: FixMessage): void {
    const r = readStepUpResult(m);
    const outcome: StepUpResult['outcome'] =
      r.result === 'success' ? 'accepted' : r.result === 'locked' ? 'locked' : r.result === 'expired' ? 'expired' : 'rejected';
    this.#answers.resolve(r.challengeId, {
      outcome,
      ...(r.attemptsLeft !== undefined ? { attemptsLeft: Math.max(0, r.attemptsLeft) } : {}),
      ...(r.text ? { reason: r.text.slice(0, 2_000) } : {}),
    });
    if (this.#challenge?.challengeId === r.challengeId) {
      if (outcome === 'rejected' && r.attemptsLeft !== undefined) this.#challenge = { ...this.#challenge, attemptsLeft: Math.max(0, r.attemptsLeft) };
      if (outcome !== 'rejected') this.clear(outcome);
    }
  }

  async answer(a: StepUpAnswer): Promise<StepUpResult> {
    const c = this.#challenge;
    if (!c || c.challengeId !== a.challengeId) throw new ParleyError('not-found', 'no such step-up challenge is pending');
    if (new Date(c.expiresAt) <= new Date()) {
      this.clear('expired');
      return { outcome: 'expired' };
    }
    if (!c.methods.includes(a.method)) throw new ParleyError('invalid-request', `the gateway did not offer ${a.method}`);
    const s = this.#link.active();
    const p = this.#answers.open(a.challengeId, {
      timeoutMs: this.#link.timeoutMs(30_000),
      onTimeout: () => new ParleyError('timeout', 'the gateway did not answer the step-up'),
    });
    s.send(
      MsgType.ParleyStepUpResponse,
      stepUpResponseFields(
        a.method === 'totp'
          ? { challengeId: a.challengeId, method: 'totp', code: a.code }
          : { challengeId: a.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(a.credential) },
      ),
    );
    return p;
  }

  /** Forgets the pending challenge and tells the UI how it ended. */
  clear(outcome: StepUpResult['outcome']): void {
    const c = this.#challenge;
    if (!c) return;
    this.#challenge = null;
    this.#on.resolved({ challengeId: c.challengeId, outcome });
  }

  /** The connection dropped: the gateway binds a challenge's answer to its session, so none will come. */
  dropped(): void {
    this.#answers.settleAll(() => ({ outcome: 'expired', reason: 'the connection to the gateway dropped; answer the next challenge' }));
  }
}
