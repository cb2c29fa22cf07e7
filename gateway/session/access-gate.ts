/**
 * A session's requests through the Cedar access policy: the decision (with the session's network, device,
 * second factor and its age), audited as access.decision; an enforced deny alerted and told to the client with
 * the policy's reasons. The gate only decides: the session runs, holds or refuses the request.
 */
import type { AccessAction, AccessDecision, DeviceCompliance } from '../policy/engine.ts';
import type { Ports } from './ports.ts';
import { serviceContext } from './service-logon.ts';
import type { SessionIo } from './session-io.ts';
import type { StepUpNeed } from './step-up-flow.ts';

export type Verdict =
  | { kind: 'allow' }
  | { kind: 'deny'; reason: string }
  | { kind: 'step-up'; need: StepUpNeed; text: string };

/** What the policy context needs from the session at the moment of the request. */
export type AuthFacts = { compliance: DeviceCompliance; mfaAt: number | null };

export class AccessGate {
  readonly #io: SessionIo;
  readonly #ports: Pick<Ports, 'decisions' | 'audit'>;
  readonly #facts: () => AuthFacts;

  constructor(io: SessionIo, ports: Pick<Ports, 'decisions' | 'audit'>, facts: () => AuthFacts) {
    this.#io = io;
    this.#ports = ports;
    this.#facts = facts;
  }

  /** The policy's decision for one request on this session, audited. */
  decide(action: AccessAction, ref: string, notional?: number): AccessDecision {
    const { ctx } = this.#io;
    const { compliance, mfaAt } = this.#facts();
    const d = this.#ports.decisions.authorize({
      user: ctx.user, action,
      context: {
        network: ctx.network, deviceCompliance: compliance, mfa: mfaAt !== null,
        ...(mfaAt !== null ? { mfaAgeSec: Math.floor((Date.now() - mfaAt) / 1000) } : {}),
        ip: ctx.ip, ...(ctx.country ? { country: ctx.country } : {}), ...(notional !== undefined ? { notional } : {}),
        ...serviceContext(ctx),
      },
    });
    this.#io.audit('access.decision', { action, ref, decision: d.decision, enforced: d.enforced, reasons: d.reasons, controls: d.controls, notional: notional ?? null });
    return d;
  }

  /** Allow runs the request, step-up holds it for a second factor, an enforced deny refuses it (log-only allows). */
  check(action: AccessAction, ref: string, notional?: number): Verdict {
    const d = this.decide(action, ref, notional);
    if (d.decision === 'allow' || !d.enforced) return { kind: 'allow' };
    if (d.decision === 'deny') return { kind: 'deny', reason: this.refusal(action, ref, d) };
    const why = d.messages.length ? d.messages.join('; ') : d.reasons.join('; ');
    return {
      kind: 'step-up', text: `${action} needs a fresh second factor: ${why}`,
      need: { acr: d.stepUp?.acr ?? 'mfa', ...(d.stepUp?.maxAgeSec !== undefined ? { maxAgeSec: d.stepUp.maxAgeSec } : {}) },
    };
  }

  /**
   * A question of scope rather than permission (ViewAllTrades: every user's trades or one's own): true only when
   * the policy allows it outright. Log-only mode never widens what a user sees.
   */
  allows(action: AccessAction, ref: string): boolean {
    return this.decide(action, ref).decision === 'allow';
  }

  /** An enforced deny: alerted, told to the client with the policy's reasons; returns the reason for the refusal. */
  refusal(action: AccessAction, ref: string, d: AccessDecision): string {
    const why = d.messages.length ? d.messages.join('; ') : d.reasons.join('; ');
    this.#ports.audit.alert('access.denied', { session: this.#io.id, user: this.#io.ctx.user.username, action, ref, reasons: d.reasons });
    this.#io.status({ decision: 'deny', scope: 'action', factors: [], reasons: d.messages.length ? d.messages : d.reasons, controls: d.controls, requestRef: ref, text: `${action} denied: ${why}` });
    return `denied by policy: ${why}`;
  }
}
