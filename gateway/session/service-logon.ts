/**
 * The Logon of a service account (issue 11 item 1): a machine identity has no password and no second factor.
 * It is identified by its workload certificate — bound to the account by SHA-256 fingerprint, and to the
 * account's CompIDs by the certificate's CompID binding (checked by fix/ before this) — and may log on only from
 * its allow-listed CIDRs. The risk model scores it as a machine identity, and says so in the decision text.
 *
 * Without server posture (issue 11 item 2, not built) the device factor is "no server posture": the explicit
 * policy decision, documented in docs/connecting-an-engine.md, is that the workload certificate plus the
 * allow-listed source stand in for it — the step-up band allows (a machine cannot answer a challenge), the deny
 * threshold still denies (e.g. an anomalous country), and the Cedar rows for machine roles require
 * serviceAccountAuth and ipAllowListed.
 *
 * API
 *   decideServiceLogon(ports, user, logon, conn, refuse) → LogonOutcome
 *   serviceContext(ctx) → { serviceAccountAuth, ipAllowListed }   the policy inputs for every request
 *   onAllowList(user, ip) → boolean
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import { decisionToWire, factorFields, safeText, logoutDecisionFields } from '../../fix/parley-protocol.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { User } from '../identity/directory.ts';
import { CidrSet } from '../risk/cidr.ts';
import type { AchievableDecision, RiskDecision } from '../risk/score.ts';
import type { LogonContext, LogonOutcome } from './logon.ts';
import type { Ports } from './ports.ts';

type Refuse = (reason: string, detail?: Record<string, unknown>, text?: string, scope?: 'logon' | 'revocation') => LogonOutcome;

/** The machine label the decision text carries (risk factor condition and summary). */
export const MACHINE_IDENTITY = 'machine identity: workload certificate bound to the service account';

export function onAllowList(user: User, ip: string): boolean {
  const cidrs = user.service?.allowedCidrs;
  if (!cidrs) return false;
  try {
    return new CidrSet(cidrs, `service account ${user.username}`).has(ip);
  } catch {
    return false;
  }
}

/** The policy inputs the gateway sets for a session's requests: true only for a service account on its allow-list. */
export function serviceContext(ctx: Pick<LogonContext, 'user' | 'ip'>): { serviceAccountAuth: boolean; ipAllowListed: boolean } {
  const svc = ctx.user.service !== undefined;
  return { serviceAccountAuth: svc, ipAllowListed: svc && onAllowList(ctx.user, ctx.ip) };
}

/** The risk model's score of a machine identity, with the authentication and device factors said as what they are. */
function machineRisk(ports: Ports, user: User, ip: string, country: string | undefined): AchievableDecision {
  // The workload certificate's key, proved in the mutual-TLS handshake, is the possession factor: scored as the
  // strongest authentication the model knows (a hardware-bound key), never as a password.
  const base: RiskDecision = ports.decisions.score({ user, strongestAuth: 'webauthn', deviceAttested: false, deviceCompliant: false, ip, ...(country ? { country } : {}) });
  const factors = base.factors.map((f) => {
    if (f.factor === 'authentication') return { ...f, condition: MACHINE_IDENTITY };
    if (f.factor === 'device') return { ...f, condition: `no server posture (${f.condition})` };
    return f;
  });
  // A machine cannot answer a step-up: the step-up band allows (the allow-listed source and the bound certificate
  // are the controls that stand in for it), the deny threshold still denies.
  const decision: RiskDecision['decision'] = base.decision === 'deny' ? 'deny' : 'allow';
  const summary = `${MACHINE_IDENTITY}, from an allow-listed address: ${base.score} - ${decision === 'deny' ? 'denied' : 'allowed'}`;
  return { score: base.score, decision, factors, options: [], stepUpMethods: [], summary };
}

export function decideServiceLogon(ports: Ports, user: User, logon: FixMessage, conn: FixsConnection, serial: string, refuse: Refuse): LogonOutcome {
  const svc = user.service!;
  const compId = logon.get(Tag.SenderCompID) ?? '';
  const ip = conn.remoteAddress.replace(/^::ffff:/, '');
  const username = user.username;
  if (ports.isRevoked(serial)) return refuse('the client certificate is revoked', { username }, undefined, 'revocation');
  // Nothing a person types: a Username, if sent, must name this account; a password is a configuration mistake.
  const claimed = logon.get(Tag.Username);
  if (claimed !== undefined && claimed !== username) return refuse('Username(553) does not name the service account of this CompID', { username, claimed: claimed.slice(0, 64) });
  if (!user.compIds.includes(compId)) return refuse(`SenderCompID ${compId} does not belong to service account ${username}`, { username });
  const fingerprint = conn.peerCertificate.fingerprint256;
  if (!svc.certFingerprints.includes(fingerprint)) {
    return refuse('the workload certificate is not bound to this service account', { username, fingerprint });
  }
  const owner = ports.certOwner(serial);
  if (owner !== undefined && owner !== username) return refuse('the workload certificate was issued to another account', { username, owner });
  if (user.disabled) return refuse('the service account is disabled', { username });
  if (!onAllowList(user, ip)) {
    return refuse(`source address ${ip} is not on the allow-list of service account ${username}`, { username, allowedCidrs: svc.allowedCidrs });
  }
  // Last: a password is a configuration mistake of an engine otherwise entitled, so it learns it only then.
  if ((logon.get(Tag.Password) ?? '') !== '') return refuse('a service account logs on with its workload certificate, without Password(554)', { username });
  const country = ports.decisions.country(ip);
  const network = ports.decisions.network(ip);
  const risk = machineRisk(ports, user, ip, country);
  ports.audit.event('logon.decision', { compId, ip, serial, username, machine: true, decision: risk.decision, score: risk.score, factors: risk.factors, summary: risk.summary, network, country: country ?? null, posture: { attested: false, compliance: 'unknown', reasons: ['no server posture'] } });
  const factors = risk.factors.map((f) => ({ name: f.factor, condition: f.condition, score: f.score }));
  const described = `risk score ${risk.score} (${risk.factors.filter((f) => f.score !== 0).map((f) => `${f.factor}: ${f.condition} +${f.score}`).join(', ') || 'no risk factors'}); ${risk.summary}`;
  if (risk.decision === 'deny') {
    ports.audit.alert('logon.denied', { compId, ip, serial, username, machine: true, score: risk.score, factors: risk.factors });
    return { ok: false, text: safeText(`logon denied: ${described}`), extraFields: logoutDecisionFields({ decision: 'deny', scope: 'logon', score: risk.score, factors, reason: described }) };
  }
  const ctx: LogonContext = { user, compId, serial, ip, country, network, compliance: 'unknown', attested: false, postureReasons: ['no server posture'], risk };
  const extraFields: Field[] = [
    { tag: Tag.ParleyDecision, value: decisionToWire('allow') },
    { tag: Tag.ParleyRiskScore, value: String(risk.score) },
    ...factorFields(factors),
    { tag: Tag.ParleySessionRole, value: user.role },
  ];
  return { ok: true, ctx, extraFields };
}
