/**
 * Registering a security key over the session (UK BEGIN / FINISH, answered with UL): the access policy decides
 * before any ceremony exists (RegisterSecurityKey), the gateway's own floor asks for a second factor proved
 * within maxAuthAgeSec whatever the policy says, and the ceremony itself is gateway/mfa/registration.ts's.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import { keyRegistrationResultFields, MSG, readKeyRegistrationRequest, safeText, type KeyRegistrationResult } from '../../fix/parley-protocol.ts';
import type { AccessGate } from './access-gate.ts';
import type { Ports } from './ports.ts';
import type { HeldAction, SessionIo } from './session-io.ts';
import type { StepUpNeed } from './step-up-flow.ts';

type Held = Extract<HeldAction, { kind: 'register-key' }>;

export interface KeyRegistrationSession {
  /** A second factor proved on this session within maxAuthAgeSec (RFC 9470 max_age). */
  freshSecondFactor(): boolean;
  /** Holds the registration for a step-up; it is performed or refused here once the step-up settles. */
  stepUp(held: Held, need: StepUpNeed, text: string): void;
  /** The session's state, for the refusal of a registration that cannot begin now. */
  state(): string;
}

export class KeyRegistrationHandler {
  readonly #io: SessionIo;
  readonly #ports: Pick<Ports, 'keys' | 'settings'>;
  readonly #gate: AccessGate;
  readonly #session: KeyRegistrationSession;

  constructor(io: SessionIo, ports: Pick<Ports, 'keys' | 'settings'>, gate: AccessGate, session: KeyRegistrationSession) {
    this.#io = io;
    this.#ports = ports;
    this.#gate = gate;
    this.#session = session;
  }

  async request(m: FixMessage): Promise<void> {
    const r = readKeyRegistrationRequest(m);
    if (!r) {
      this.#result({ requestId: safeText(m.get(Tag.ParleyRequestID) ?? '', 64), status: 'rejected', text: 'malformed key registration request (RequestID and a BEGIN or FINISH stage are required)' });
      return;
    }
    if (r.stage === 'begin') { this.#decideBegin(r.requestId); return; }
    if (r.webauthnResponse === undefined || r.webauthnResponse === '') {
      this.#result({ requestId: r.requestId, status: 'rejected', text: 'FINISH needs the authenticator response (WebAuthnResponse)' });
      return;
    }
    const v = await this.#ports.keys.finish(this.#io.id, r.requestId, r.webauthnResponse);
    if (this.#io.isEnded()) return;
    if (!v.ok) {
      this.#io.audit('webauthn.register-refused', { requestId: r.requestId, reason: v.reason });
      this.#result({ requestId: r.requestId, status: 'rejected', text: v.reason });
      return;
    }
    this.#io.audit('webauthn.registered', { requestId: r.requestId, credentialId: v.credentialId });
    this.#result({ requestId: r.requestId, status: 'registered', credentialId: v.credentialId, text: 'security key registered' });
  }

  /** The step-up (or none) said yes: the ceremony begins. */
  perform(held: Held): void {
    void this.#begin(held.requestId).catch((e: unknown) => this.#io.internal(e));
  }

  refuse(held: Held, reason: string): void {
    this.#result({ requestId: held.requestId, status: 'rejected', text: `security key not registered: ${reason}` });
  }

  #decideBegin(requestId: string): void {
    const held: Held = { kind: 'register-key', requestId };
    // The access policy decides first (a non-compliant device is denied there), before any ceremony state exists.
    const d = this.#gate.decide('RegisterSecurityKey', requestId);
    const enforced = d.enforced && d.decision !== 'allow';
    if (enforced && d.decision === 'deny') { this.refuse(held, this.#gate.refusal('RegisterSecurityKey', requestId, d)); return; }
    // The gateway's own floor holds whatever the policy says (log-only mode, an edited policy): adding a key is
    // adding a way in, so it needs a second factor proved within maxAuthAgeSec. One step-up satisfies both.
    if (!enforced && this.#session.freshSecondFactor()) { this.perform(held); return; }
    this.#io.audit('webauthn.register-stepup', { requestId });
    const maxAgeSec = Math.min(this.#ports.settings.stepUp.maxAuthAgeSec, d.stepUp?.maxAgeSec ?? Infinity);
    const acr = enforced ? (d.stepUp?.acr ?? 'mfa') : 'mfa';
    const why = enforced && d.messages.length ? d.messages.join('; ') : 'registering a security key needs a fresh second factor';
    this.#session.stepUp(held, { acr, maxAgeSec }, why);
  }

  async #begin(requestId: string): Promise<void> {
    if (!this.#io.isActive()) {
      this.#result({ requestId, status: 'rejected', text: `security key not registered: session is ${this.#session.state()}` });
      return;
    }
    const b = await this.#ports.keys.begin(this.#io.id, requestId, this.#io.ctx.user.username);
    if (this.#io.isEnded()) return;
    if (!b.ok) {
      this.#io.audit('webauthn.register-refused', { requestId, reason: b.reason });
      this.#result({ requestId, status: 'rejected', text: b.reason });
      return;
    }
    this.#io.audit('webauthn.register-begin', { requestId });
    this.#result({ requestId, status: 'options', webauthnOptions: b.options });
  }

  #result(r: KeyRegistrationResult): void {
    this.#io.send(MSG.KeyRegistrationResult, keyRegistrationResultFields(r));
  }
}
