/**
 * The security view of the session: the role and the risk (score, factors, decision) as the gateway last
 * scored them — from the Logon answer, each SecurityStatus (UB) and a refused Logon's decision — and the
 * notifications a SecurityStatus carries. Decisions are read from the structured fields only.
 */
import type { FixMessage } from '../../fix/codec.ts';
import { readLogonDecision } from '../../fix/protocol/index.ts';
import {
  readSecurityStatus,
  type Decision as WireDecision,
  type Factor,
  type LogoutDecision,
  type SecurityStatus,
} from '../../fix/parley-protocol.ts';
import type { Decision, RiskFactor } from '../ipc/contract.ts';
import type { SessionLink } from './session-link.ts';
import { endedNotice } from './session-end.ts';

export interface RiskState {
  score: number;
  factors: RiskFactor[];
  decision: Decision;
}

export function riskFactors(f: Factor[]): RiskFactor[] {
  return f.slice(0, 50).map((x) => ({
    name: x.name.slice(0, 100) || 'factor',
    score: Number.isFinite(x.score) ? x.score : 0,
    ...(x.condition ? { detail: x.condition.slice(0, 2_000) } : {}),
  }));
}

function contractDecision(d: WireDecision | undefined): Decision {
  return d === 'step-up' ? 'step-up' : d === 'deny' || d === 'ended' ? 'deny' : 'allow';
}

/**
 * The reason a refused or ended session shows: the gateway's Text, with the factors from the Logout's decision
 * fields named when the Text does not already name them.
 */
export function denialText(text: string | undefined, d: LogoutDecision | undefined): string | undefined {
  const base = text ?? (d?.reason ? `logon denied: ${d.reason}` : undefined);
  if (!base || !d) return base;
  const missing = d.factors.filter((f) => f.score !== 0 && !base.includes(`${f.name}: `));
  if (missing.length === 0) return base.slice(0, 2_000);
  return `${base} (${missing.map((f) => `${f.name}: ${f.condition} +${f.score}`).join(', ')})`.slice(0, 2_000);
}

export interface SecurityViewEvents {
  /** Role or risk changed. */
  changed(): void;
  /** The gateway's posture / logon decision now allows a connection that was waiting on a step-up. */
  allowed(): void;
  /** A denied action names the RFQ it refused (RequestRef). */
  actionDenied(requestRef: string, text: string): void;
  /** The gateway moved the re-attestation deadline. */
  attestBy(deadline: Date): void;
}

export class SecurityView {
  readonly #link: SessionLink;
  readonly #on: SecurityViewEvents;
  #role: string | undefined;
  #risk: RiskState | null = null;

  constructor(link: SessionLink, on: SecurityViewEvents) {
    this.#link = link;
    this.#on = on;
  }

  get role(): string | undefined {
    return this.#role;
  }
  get risk(): RiskState | null {
    return this.#risk;
  }

  /** The Logon answer's decision; returns it so the connection knows whether a step-up is asked. */
  onLogon(m: FixMessage): WireDecision {
    // A Logon answer without a decision (another FIX peer) reads as allow with score 0: nothing was scored.
    const r = readLogonDecision(m);
    const d = r.ok ? r.value : { decision: 'allow' as const, score: 0, factors: [] };
    if (r.ok && r.value.role) this.#role = r.value.role;
    this.#risk = { score: d.score, factors: riskFactors(d.factors), decision: contractDecision(d.decision) };
    return d.decision;
  }

  /** A refused Logon: show the factors that denied it, as the gateway scored them. */
  onRefused(d: LogoutDecision): void {
    if (d.decision !== 'deny' || (d.score === undefined && d.factors.length === 0)) return;
    this.#risk = { score: d.score ?? 0, factors: riskFactors(d.factors), decision: 'deny' };
  }

  onSecurityStatus(m: FixMessage, challenged: boolean): void {
    const s: SecurityStatus = readSecurityStatus(m);
    if (s.role) this.#role = s.role.slice(0, 100);
    if (s.score !== undefined || s.factors.length) {
      this.#risk = { score: s.score ?? this.#risk?.score ?? 0, factors: riskFactors(s.factors), decision: contractDecision(s.decision) };
    }
    if (s.attestDeadline) this.#on.attestBy(s.attestDeadline);
    if ((s.scope === 'logon' || s.scope === 'reattest' || s.scope === 'posture') && s.decision === 'allow' && challenged) this.#on.allowed();
    if (s.decision === 'downgraded') {
      this.#link.notify('warning', 'Session downgraded', s.text ?? 'trading is paused until the device passes its posture check', 'session');
    } else if (s.decision === 'deny' && s.scope === 'action') {
      this.#link.notify('error', 'Request denied', s.text ?? s.reasons?.join('; ') ?? 'the access policy denied the request', 'action');
      if (s.requestRef) this.#on.actionDenied(s.requestRef, s.text ?? 'denied by policy');
    } else if (s.decision === 'ended') {
      // One 'session' notice, worded from who ended it (the screens fold it into the session banner).
      this.#link.notify(s.end?.by === 'shutdown' || s.end?.by === 'network' ? 'warning' : 'error', 'Session ended', endedNotice(s), 'session');
    }
    this.#on.changed();
  }
}
