/**
 * Logon authorisation: certificate → user binding, password, attestation (signature, channel binding,
 * freshness, replay), posture, network and GeoIP → risk score → allow / step-up / deny. The answer carries
 * the factors; every decision is audited (denials also alert).
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import { factorFields, logoutDecisionFields, safeText, decisionToWire, type Factor } from '../../fix/parley-protocol.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { User } from '../identity/directory.ts';
import { isKdfRefusal } from '../identity/kdf-pool.ts';
import type { DeviceCompliance } from '../policy/engine.ts';
import type { NetworkLabel } from '../policy/network.ts';
import type { AchievableDecision, RiskDecision, SecondFactor } from '../risk/score.ts';
import { MAX_PASSWORD_FAILURES, type LogonGuard } from './logon-guard.ts';
import type { Ports } from './ports.ts';
import { decideServiceLogon } from './service-logon.ts';
import { speaksPlainFix44, stripParleyFields } from './service-plain-fix.ts';
import type { RecalledAuth } from './recent-auth.ts';

export type LogonContext = {
  user: User;
  compId: string;
  serial: string;
  ip: string;
  country: string | undefined;
  network: NetworkLabel;
  compliance: DeviceCompliance;
  attested: boolean;
  postureReasons: string[];
  /** The presented score and factors, the decision on what the user can still present, and the options. */
  risk: AchievableDecision;
  /** A second factor this user proved with this certificate within the max age, before the connection dropped. */
  priorAuth?: RecalledAuth;
};

export type LogonOutcome =
  | { ok: true; ctx: LogonContext; extraFields: Field[] }
  | { ok: false; text: string; extraFields: Field[] };

/** The second factors the user has enrolled that the gateway may ask for (stepUp.methods). */
export function enrolledSecondFactors(user: User, allowed: readonly SecondFactor[]): SecondFactor[] {
  const out: SecondFactor[] = [];
  if (user.webauthnCredentials.length > 0 && allowed.includes('webauthn')) out.push('webauthn');
  if (user.totpSecret && allowed.includes('totp')) out.push('totp');
  return out;
}

export function riskFactors(r: RiskDecision): Factor[] {
  return r.factors.map((f) => ({ name: f.factor, condition: f.condition, score: f.score }));
}

export function describeRisk(r: RiskDecision): string {
  return `risk score ${r.score} (${r.factors.filter((f) => f.score !== 0).map((f) => `${f.factor}: ${f.condition} +${f.score}`).join(', ') || 'no risk factors'})`;
}

/**
 * A live session's risk again, from what it has proved since the logon and its device now. In the step-up band a
 * satisfied second factor is what the band asks for: allowed, not asked again.
 */
export function scoreSession(d: Ports['decisions'], ctx: LogonContext, strongestAuth: 'password' | SecondFactor, compliance: DeviceCompliance): RiskDecision {
  const r = d.score({
    user: ctx.user, strongestAuth, deviceAttested: compliance !== 'unknown',
    deviceCompliant: compliance === 'compliant' || compliance === 'highly-compliant', ip: ctx.ip, ...(ctx.country ? { country: ctx.country } : {}),
  });
  return r.decision === 'step-up' && strongestAuth !== 'password' ? { ...r, decision: 'allow' } : r;
}

/** What the client is told for every refusal that would otherwise say something about a user's state. */
export const LOGON_REFUSED = 'invalid username or password';
/** The password could not be checked now (the hashing pool is full): the client may try again shortly. */
export const LOGON_BUSY = 'busy, retry';

/**
 * One Logon through the guard: counted, rate-limited and alone in flight for its certificate and user while its
 * password is checked, whatever the FIX layer does with parallel Logons (takeovers included).
 */
export async function authorizeLogon(ports: Ports, guard: LogonGuard, logon: FixMessage, conn: FixsConnection): Promise<LogonOutcome> {
  const ip = conn.remoteAddress.replace(/^::ffff:/, '');
  const certificate = conn.peerCertificate.fingerprint256 ?? conn.peerCertificate.serialNumber;
  const refusal = guard.admit(ip, certificate);
  if (refusal) {
    ports.audit.event('logon.throttled', { ip, compId: logon.get(Tag.SenderCompID) ?? '', serial: serialOf(conn), reason: refusal });
    return denied(LOGON_REFUSED, 'logon');
  }
  let username: string | undefined;
  try {
    const out = await decideLogon(ports, guard, logon, conn, (u) => { username = u; });
    // An account that speaks plain FIX 4.4 gets the decision in standard fields only (service-plain-fix.ts).
    return speaksPlainFix44(ports.decisions.userByCompId(logon.get(Tag.SenderCompID) ?? '')) ? { ...out, extraFields: stripParleyFields(out.extraFields) } : out;
  } finally {
    guard.leave(certificate, username);
  }
}

function serialOf(conn: FixsConnection): string {
  return conn.peerCertificate.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
}

function denied(text: string, scope: 'logon' | 'revocation'): LogonOutcome {
  // The Logout carries the decision as fields too (ParleyDecision DENY, the scope, the reason), for clients.
  return { ok: false, text: safeText(`logon denied: ${text}`), extraFields: logoutDecisionFields({ decision: 'deny', scope, factors: [], reason: text }) };
}

async function decideLogon(ports: Ports, guard: LogonGuard, logon: FixMessage, conn: FixsConnection, entered: (username: string) => void): Promise<LogonOutcome> {
  const { decisions: d, audit } = ports;
  const lockouts = guard.lockouts;
  const compId = logon.get(Tag.SenderCompID) ?? '';
  const ip = conn.remoteAddress.replace(/^::ffff:/, '');
  const serial = serialOf(conn);
  const base = { compId, ip, serial };
  /** Audited (and alerted) with the detail; the client hears `text`. */
  const refuse = (reason: string, detail: Record<string, unknown> = {}, text = reason, scope: 'logon' | 'revocation' = 'logon'): LogonOutcome => {
    audit.event('logon.denied', { ...base, reason, ...detail });
    audit.alert('logon.denied', { ...base, reason, ...detail });
    return denied(text, scope);
  };
  /** A refusal about the user or the binding: the detail goes to the audit, the client hears the same words. */
  const refuseUser = (reason: string, detail: Record<string, unknown> = {}) => refuse(reason, detail, LOGON_REFUSED);

  // The acceptor follows the client's HeartBtInt, as FIX prescribes; the gateway bounds it, so a dead
  // connection (and a session nobody watches) is always noticed.
  const hb = logon.getInt(Tag.HeartBtInt);
  const maxHb = ports.settings.maxHeartBtIntSec;
  if (hb === undefined || hb < 1 || hb > maxHb) return refuse(`HeartBtInt(108) must be 1 to ${maxHb} seconds (got ${logon.get(Tag.HeartBtInt) ?? 'none'})`);

  // A service account (machine identity) logs on with its workload certificate alone: service-logon.ts.
  const machine = d.userByCompId(compId);
  if (machine?.service) return decideServiceLogon(ports, machine, logon, conn, serial, refuse);

  const username = logon.get(Tag.Username);
  const password = logon.get(Tag.Password);
  if (!username || password === undefined) return refuse('Username(553) and Password(554) are required');
  // Scope REVOCATION tells the client its certificate is no good (it asks to enroll again), not to retry. It
  // is about the certificate the client holds, so it says nothing about any user.
  if (ports.isRevoked(serial)) return refuse('the client certificate is revoked', { username }, undefined, 'revocation');
  const user = d.user(username);
  if (!user) return refuseUser('unknown user', { username, detail: 'unknown user' });

  // Certificate → user binding before anything about the user's state: the CompID (already bound to the
  // certificate by the acceptor) must be the user's, and a certificate issued by enrollment must have been
  // issued to this user. Another user's certificate learns nothing about this one.
  if (!user.compIds.includes(compId)) return refuseUser(`SenderCompID ${compId} does not belong to user ${username}`, { username });
  const owner = ports.certOwner(serial);
  if (owner !== undefined && owner !== user.username) return refuseUser('the client certificate was issued to another user', { username, owner });
  if (owner === undefined && user.certSubjects.length > 0 && !user.certSubjects.includes(conn.peerCertificate.subject.replace(/\n/g, ', '))) {
    return refuseUser('the client certificate subject is not bound to this user', { username, subject: conn.peerCertificate.subject });
  }
  if (!guard.enterUser(user.username)) return refuseUser('another logon of this user is being checked', { username, detail: 'user busy' });
  entered(user.username);

  if (user.disabled) return refuseUser('the user is disabled', { username });
  const locked = lockouts.lockedFor(user.username);
  if (locked > 0) return refuseUser(`the user is locked out for ${Math.ceil(locked / 1000)} s after repeated wrong passwords`, { username });
  if (ports.stepUps.isLockedOut(user.username)) return refuseUser('the user is locked out after too many wrong step-up answers', { username });

  // Counted before the await: however many Logons arrive together, at most MAX_PASSWORD_FAILURES passwords
  // are checked before the lockout.
  const n = lockouts.attempt(user.username);
  if (n > MAX_PASSWORD_FAILURES) return refuseUser('too many password attempts', { username, failures: n - 1 });
  let verified: boolean;
  try {
    verified = await d.verifyPassword(user, password);
  } catch (e) {
    if (!isKdfRefusal(e)) throw e;
    // Not checked, so not counted; a structured DENY that says to retry, not "wrong password".
    lockouts.uncount(user.username);
    audit.event('logon.busy', { ...base, username, reason: (e as Error).message });
    return denied(LOGON_BUSY, 'logon');
  }
  if (!verified) {
    if (n >= MAX_PASSWORD_FAILURES) {
      lockouts.lock(user.username, ports.settings.stepUp.lockoutSec * 1000);
      lockouts.clear(user.username);
      audit.alert('logon.lockout', { ...base, username, failures: n });
      ports.recentAuth.forget(user.username);
      d.forgetVerifiedPassword(user.username);
    }
    return refuseUser('invalid username or password', { username, detail: 'wrong password', failures: n });
  }
  lockouts.clear(user.username);

  // Device: an attestation that is present must verify; a forged, unbound, stale or replayed one is refused
  // outright (it is an attack, not a weak device). No attestation at all scores as an unattested device.
  const jws = logon.get(Tag.ParleyAttestation);
  let compliance: DeviceCompliance = 'unknown';
  let attested = false;
  let postureReasons: string[] = ['no attestation'];
  if (jws) {
    const p = await ports.posture.check(jws, conn);
    if (!p.ok) return refuse(`attestation refused (${p.kind}): ${p.reason}`, { username, attestation: p.kind });
    compliance = p.compliance;
    attested = true;
    postureReasons = p.reasons;
  }

  const country = d.country(ip);
  const network = d.network(ip);
  // Within the max age of a second factor proved with this certificate, the user is not asked again; the
  // network, geography and device are scored afresh all the same.
  const prior = ports.recentAuth.recall(user.username, serial, ports.settings.stepUp.maxAuthAgeSec);
  // The presented authentication is the password (or the remembered second factor); the decision also weighs
  // the second factors this user could still present, so a remote logon reaches the challenge that lets it in.
  const risk = d.decideLogon({
    user, strongestAuth: prior?.method ?? 'password', deviceAttested: attested,
    deviceCompliant: compliance === 'compliant' || compliance === 'highly-compliant', ip, ...(country ? { country } : {}),
  }, enrolledSecondFactors(user, ports.settings.stepUp.methods));
  // One line carries the whole logon decision, the posture result included (a logon costs few audit writes).
  audit.event('logon.decision', { ...base, username, decision: risk.decision, score: risk.score, factors: risk.factors, options: risk.options, stepUpMethods: risk.stepUpMethods, summary: risk.summary, network, country: country ?? null, posture: { attested, compliance, reasons: postureReasons }, resumedAuth: prior ? { method: prior.method, ageSec: Math.floor((Date.now() - prior.at) / 1000) } : null });
  if (risk.decision === 'deny') {
    audit.alert('logon.denied', { ...base, username, score: risk.score, factors: risk.factors, summary: risk.summary });
    const reason = `${describeRisk(risk)}; ${risk.summary}`;
    return {
      ok: false, text: safeText(`logon denied: ${reason}`),
      extraFields: logoutDecisionFields({ decision: 'deny', scope: 'logon', score: risk.score, factors: riskFactors(risk), reason }),
    };
  }
  if (risk.decision === 'step-up' && speaksPlainFix44(user)) {
    // Plain FIX 4.4 has no message for a challenge: the logon is refused with what it would have needed.
    return refuse(`${describeRisk(risk)}; ${risk.summary} - a second factor cannot be asked over plain FIX 4.4`, { username, score: risk.score });
  }
  const ctx: LogonContext = { user, compId, serial, ip, country, network, compliance, attested, postureReasons, risk, ...(prior ? { priorAuth: prior } : {}) };
  const extraFields: Field[] = [
    { tag: Tag.ParleyDecision, value: decisionToWire(risk.decision) },
    { tag: Tag.ParleyRiskScore, value: String(risk.score) },
    ...factorFields(riskFactors(risk)),
    { tag: Tag.ParleySessionRole, value: user.role },
  ];
  return { ok: true, ctx, extraFields };
}

/**
 * A certificate presented for a SenderCompID it is not bound to (refused by the FIX layer before any session is
 * looked up): a stolen or misused certificate, or a misconfigured engine. Audited and alerted, as for every
 * refused Logon; the connection itself heard only the refusal.
 */
export function reportForeignCompId(ports: Pick<Ports, 'audit'>, compId: string, allowed: string[], conn: FixsConnection): void {
  const detail = {
    compId: compId.slice(0, 64), ip: conn.remoteAddress.replace(/^::ffff:/, ''), serial: serialOf(conn),
    subject: conn.peerCertificate.subject.replace(/\n/g, ', '), certificateCompIds: allowed, reason: 'certificate is not bound to this SenderCompID',
  };
  ports.audit.event('logon.denied', detail);
  ports.audit.alert('logon.certificate-misuse', detail);
}
