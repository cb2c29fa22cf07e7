/**
 * Security-key registration over the session (KeyRegistrationRequest UK / KeyRegistrationResult UL):
 * 'begin' asks the gateway for WebAuthn creation options — it may first ask a step-up, whose challenge names
 * this request in its RequestRef — and 'finish' sends the authenticator's attestation. The gateway binds a
 * registration to its session, so only registrations whose options this connection received may be finished.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import { keyRegistrationRequestFields, readKeyRegistrationResult } from '../../fix/parley-protocol.ts';
import {
  ParleyError,
  WebAuthnCreationOptionsSchema,
  type RegisterSecurityKey,
  type RegisterSecurityKeyResult,
} from '../ipc/contract.ts';
import { PendingRequests } from './pending-requests.ts';
import type { SessionLink } from './session-link.ts';

/** Registrations with options received on this connection that are remembered (the oldest is forgotten). */
const MAX_OPEN_REGISTRATIONS = 16;

export class SecurityKeyRegistration {
  readonly #link: SessionLink;
  readonly #pending = new PendingRequests<RegisterSecurityKeyResult>();
  /** Registrations whose options this connection received: only these may be finished. */
  readonly #offered = new Set<string>();

  constructor(link: SessionLink) {
    this.#link = link;
  }

  async register(req: RegisterSecurityKey): Promise<RegisterSecurityKeyResult> {
    const s = this.#link.active();
    const timeout = () => new ParleyError('timeout', 'the gateway did not answer the key registration');
    if (req.stage === 'begin') {
      const id = this.#link.nextId('KR');
      // 'begin' may wait for the user to answer a step-up first, so it waits longer than other requests.
      const p = this.#pending.open(id, { timeoutMs: Math.max(this.#link.timeoutMs(0), 180_000), onTimeout: timeout });
      s.send(MsgType.ParleyKeyRegistrationRequest, keyRegistrationRequestFields({ requestId: id, stage: 'begin' }));
      return p;
    }
    if (!this.#offered.has(req.registrationId)) {
      return { status: 'rejected', reason: 'no such registration on this connection; start again' };
    }
    this.#offered.delete(req.registrationId);
    const p = this.#pending.open(req.registrationId, { timeoutMs: this.#link.timeoutMs(30_000), onTimeout: timeout });
    s.send(
      MsgType.ParleyKeyRegistrationRequest,
      keyRegistrationRequestFields({ requestId: req.registrationId, stage: 'finish', webauthnResponse: JSON.stringify(req.credential) }),
    );
    return p;
  }

  onResult(m: FixMessage): void {
    const r = readKeyRegistrationResult(m);
    if (!this.#pending.has(r.requestId)) return;
    if (r.status === 'options') {
      let options: unknown;
      try {
        options = JSON.parse(r.webauthnOptions ?? '');
      } catch {
        options = undefined;
      }
      const parsed = WebAuthnCreationOptionsSchema.safeParse(options);
      if (!parsed.success) {
        this.#pending.resolve(r.requestId, { status: 'rejected', reason: 'the gateway sent security-key options this app cannot use' });
        return;
      }
      if (this.#offered.size >= MAX_OPEN_REGISTRATIONS) this.#offered.delete(this.#offered.values().next().value!);
      this.#offered.add(r.requestId);
      this.#pending.resolve(r.requestId, { status: 'options', registrationId: r.requestId, options: parsed.data });
      return;
    }
    if (r.status === 'registered' && r.credentialId && r.credentialId.length <= 1024) {
      this.#link.notify('info', 'Security key registered', 'You can now use this security key when Parley asks for a second factor.', 'action');
      this.#pending.resolve(r.requestId, { status: 'registered', credentialId: r.credentialId });
      return;
    }
    this.#pending.resolve(r.requestId, { status: 'rejected', reason: (r.text ?? 'the gateway refused the security key').slice(0, 2_000) });
  }

  /** The gateway refused a KeyRegistrationRequest (a BusinessMessageReject naming UK): every one in flight ends. */
  refused(reason: string): void {
    this.#pending.settleAll(() => ({ status: 'rejected', reason: reason.slice(0, 2_000) }));
  }

  /** The user cancelled the step-up that held this registration: it ends without a key. */
  stepUpCancelled(requestId: string | undefined): void {
    if (requestId) this.#pending.resolve(requestId, { status: 'rejected', reason: 'step-up cancelled: the security key was not registered' });
  }

  /** The gateway binds a registration to its session: a new connection starts over. */
  dropped(): void {
    this.refused('the connection to the gateway dropped; start the registration again');
    this.#offered.clear();
  }
}
