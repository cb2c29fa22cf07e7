/**
 * What the per-session logic needs from the rest of the gateway, as narrow interfaces: server.ts binds them
 * to the decision core (identity, risk, policy, geo, mfa, posture, audit) and to agent/'s attestation check.
 */
import type { FixsConnection } from '../../fix/transport.ts';
import type { DealerDesk } from '../desk/desk.ts';
import type { StepUpMethod } from '../../fix/parley-protocol.ts';
import type { User } from '../identity/directory.ts';
import type { KeyRegistrations } from '../mfa/registration.ts';
import type { StepUpManager } from '../mfa/stepup.ts';
import type { AccessDecision, AccessRequest, DeviceCompliance } from '../policy/engine.ts';
import type { NetworkLabel } from '../policy/network.ts';
import type { AchievableDecision, RiskContext, RiskDecision, SecondFactor } from '../risk/score.ts';
import type { LogonLimits } from './logon-guard.ts';
import type { RecentAuth } from './recent-auth.ts';

export type PostureOutcome =
  | { ok: true; compliance: DeviceCompliance; reasons: string[]; facts: unknown; nonce: string; deviceKey?: 'hardware' | 'software'; deviceId?: string }
  /** `device`: the signer is not the device IT enrolled (or there is none where IT requires one, or it was revoked). */
  | { ok: false; reason: string; kind: 'forged' | 'stale' | 'replayed' | 'unbound' | 'malformed' | 'device' };

export interface PostureVerifier {
  /** Verifies signature (client-certificate key), channel binding (this connection's exporter), freshness and
   *  replay, then evaluates the facts against the posture policy. */
  check(jws: string, conn: FixsConnection): Promise<PostureOutcome>;
}

export interface Decisions {
  user(username: string): User | undefined;
  userByCompId(compId: string): User | undefined;
  verifyPassword(user: User, password: string): Promise<boolean>;
  /** Drops the user's verified-credential cache entry (lockout, disable, kill): the next logon pays scrypt. */
  forgetVerifiedPassword(username: string): void;
  score(ctx: RiskContext): RiskDecision;
  /** The logon decision on what the user can still present (risk/score.ts decideAchievable). */
  decideLogon(ctx: RiskContext, enrolled: SecondFactor[]): AchievableDecision;
  authorize(req: AccessRequest): AccessDecision;
  network(ip: string): NetworkLabel;
  country(ip: string): string | undefined;
}

export interface Audit {
  event(type: string, data: Record<string, unknown>): void;
  alert(kind: string, data: Record<string, unknown>): void;
}

export type SessionSettings = {
  stepUp: { methods: StepUpMethod[]; challengeTtlSec: number; maxAttempts: number; maxAuthAgeSec: number; lockoutSec: number };
  attestation: { reattestIntervalSec: number; graceSec: number; onLapse: 'end' | 'downgrade' };
  rateLimit: { messagesPerSec: number; burst: number };
  /** The longest HeartBtInt a client may ask for (fix.maxHeartBtIntSec); 0 (no heartbeats) is refused too. */
  maxHeartBtIntSec: number;
  /** Logon rate limits per source address and per certificate (logon-guard.ts DEFAULT_LOGON_LIMITS if absent). */
  logonLimits?: LogonLimits;
};

export type Ports = {
  decisions: Decisions;
  posture: PostureVerifier;
  /** Step-up challenges (gateway/mfa): issue, answer, per-user failure count and lockout. */
  stepUps: StepUpManager;
  /** Security-key registration ceremonies, one per session (gateway/mfa/registration.ts). */
  keys: KeyRegistrations;
  /** Second factors proved on sessions, per user and certificate (max_age across a dropped connection). */
  recentAuth: RecentAuth;
  audit: Audit;
  desk: DealerDesk;
  settings: SessionSettings;
  /** True when the certificate (serial, lower-case hex) is revoked. */
  isRevoked(serial: string): boolean;
  /** The user an enrolled certificate was issued to (undefined for dev-PKI certificates). */
  certOwner(serial: string): string | undefined;
};
