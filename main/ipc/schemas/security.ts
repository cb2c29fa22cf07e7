/**
 * Security and session state: step-up challenges, WebAuthn options, posture facts, how a session ended, connection and security views, notifications, the app state.
 * Part of the IPC contract: re-exported by main/ipc/contract.ts, the only file the renderer imports.
 */
import { z } from 'zod';
import { ConnectionStateSchema, type Decision, DecisionSchema, IdSchema, InstantSchema, RiskFactorSchema, text } from './trading.ts';

/** The contract's version, reported in the app state so a renderer and a core built apart can tell they differ. */
export const CONTRACT_VERSION = 1;

export const StepUpMethodSchema = z.enum(['totp', 'webauthn']);
export type StepUpMethod = z.infer<typeof StepUpMethodSchema>;

/**
 * WebAuthn request options as JSON (PublicKeyCredentialRequestOptionsJSON): passed through to
 * @simplewebauthn/browser's startAuthentication in the renderer.
 */
export const WebAuthnOptionsSchema = z.strictObject({
  challenge: text(512),
  timeout: z.number().int().positive().optional(),
  rpId: text(255).optional(),
  allowCredentials: z
    .array(z.strictObject({ id: text(1024), type: z.literal('public-key'), transports: z.array(text(32)).max(10).optional() }))
    .max(50)
    .optional(),
  userVerification: z.enum(['required', 'preferred', 'discouraged']).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type WebAuthnOptions = z.infer<typeof WebAuthnOptionsSchema>;

/** The assertion as JSON (AuthenticationResponseJSON from @simplewebauthn/browser). */
export const WebAuthnCredentialSchema = z.strictObject({
  id: text(1024),
  rawId: text(1024),
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: text(8_192),
    authenticatorData: text(8_192),
    signature: text(2_048),
    userHandle: text(1_024).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});
export type WebAuthnCredential = z.infer<typeof WebAuthnCredentialSchema>;

/**
 * WebAuthn creation options as JSON (PublicKeyCredentialCreationOptionsJSON from the gateway's
 * @simplewebauthn/server): passed through to @simplewebauthn/browser's startRegistration in the renderer.
 */
const CredentialDescriptorSchema = z.strictObject({ id: text(1024), type: z.literal('public-key'), transports: z.array(text(32)).max(10).optional() });
export const WebAuthnCreationOptionsSchema = z.strictObject({
  challenge: text(512),
  rp: z.strictObject({ name: text(200), id: text(255).optional() }),
  user: z.strictObject({ id: text(512), name: text(200), displayName: text(200) }),
  pubKeyCredParams: z.array(z.strictObject({ alg: z.number().int(), type: z.literal('public-key') })).min(1).max(20),
  timeout: z.number().int().positive().optional(),
  excludeCredentials: z.array(CredentialDescriptorSchema).max(64).optional(),
  authenticatorSelection: z.strictObject({
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    residentKey: z.enum(['required', 'preferred', 'discouraged']).optional(),
    requireResidentKey: z.boolean().optional(),
    userVerification: z.enum(['required', 'preferred', 'discouraged']).optional(),
  }).optional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
  hints: z.array(text(32)).max(5).optional(),
});
export type WebAuthnCreationOptions = z.infer<typeof WebAuthnCreationOptionsSchema>;

/** The attestation as JSON (RegistrationResponseJSON from @simplewebauthn/browser's startRegistration). */
export const WebAuthnRegistrationSchema = z.strictObject({
  id: text(1024),
  rawId: text(1024),
  type: z.literal('public-key'),
  response: z.strictObject({
    clientDataJSON: text(8_192),
    attestationObject: text(16_384),
    authenticatorData: text(8_192).optional(),
    transports: z.array(text(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: text(4_096).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});
export type WebAuthnRegistration = z.infer<typeof WebAuthnRegistrationSchema>;

export const StepUpChallengeSchema = z.strictObject({
  challengeId: IdSchema,
  methods: z.array(StepUpMethodSchema).min(1).max(2),
  /** The risk factors that made the gateway ask. */
  reason: z.array(RiskFactorSchema).max(50),
  expiresAt: InstantSchema,
  attemptsLeft: z.number().int().nonnegative(),
  webauthnOptions: WebAuthnOptionsSchema.optional(),
});
export type StepUpChallenge = z.infer<typeof StepUpChallengeSchema>;

export const PostureFactSchema = z.strictObject({
  name: text(100),
  status: z.enum(['pass', 'fail', 'unknown']),
  value: text().optional(),
  reason: text().optional(),
  /** What was run or read and what was parsed from it. */
  evidence: text(8_000),
});
export type PostureFact = z.infer<typeof PostureFactSchema>;

/**
 * How a session ended, read from the gateway's structured decision (its Decision / StatusScope / PolicyReason
 * fields), never from a Logout's Text: the screens word the cause, name who acted and say what to do next.
 */
export const SessionEndCauseSchema = z.enum([
  /** IT ended the session (an admin kill). */
  'ended-by-it',
  /** IT revoked this device's certificate. */
  'certificate-revoked',
  /** The access policy denied the logon or ended the session. */
  'policy-denied',
  /** The device's posture check lapsed or failed (re-attestation). */
  'posture-lapsed',
  /** The second factor failed or was locked. */
  'step-up-failed',
  /** The connection was lost (network, gateway restart). */
  'network-lost',
]);
export type SessionEndCause = z.infer<typeof SessionEndCauseSchema>;
export const SessionEndSchema = z.strictObject({
  cause: SessionEndCauseSchema,
  /** IT's or the policy's own short reason (the kill or revocation reason, PolicyReason), shown quoted. */
  detail: text(500).optional(),
  at: InstantSchema,
});
export type SessionEnd = z.infer<typeof SessionEndSchema>;

export const ConnectionEventSchema = z.strictObject({
  state: ConnectionStateSchema,
  /** For 'reconnecting': seconds until the next attempt. */
  retryInSec: z.number().nonnegative().optional(),
  /** For 'denied', 'config-error', 'enrollment-needed', 'offline': why, in words for the user. */
  reason: text().optional(),
  /** Set while the state follows the end of a session (also while reconnecting after it): why, structured. */
  ended: SessionEndSchema.optional(),
  at: InstantSchema,
});
export type ConnectionEvent = z.infer<typeof ConnectionEventSchema>;

export const SecuritySchema = z.strictObject({
  connection: ConnectionStateSchema,
  gateway: z.strictObject({ host: text(255), port: z.number().int().min(1).max(65_535) }).nullable(),
  tls: z.strictObject({ version: text(32), cipher: text(128) }).nullable(),
  certificate: z
    .strictObject({
      subject: text(512),
      issuer: text(512),
      serialNumber: text(128),
      notBefore: InstantSchema,
      notAfter: InstantSchema,
      /** When the client will renew (two thirds of the lifetime). */
      renewAt: InstantSchema,
    })
    .nullable(),
  posture: z.strictObject({ collectedAt: InstantSchema, facts: z.array(PostureFactSchema).max(100) }).nullable(),
  lastAttestationAt: InstantSchema.nullable(),
  risk: z
    .strictObject({ score: z.number().finite(), factors: z.array(RiskFactorSchema).max(50), decision: DecisionSchema })
    .nullable(),
  /** Where the managed (IT) configuration came from, if any. */
  policySource: text(1_024).nullable(),
});
export type Security = z.infer<typeof SecuritySchema>;

export const NotificationSchema = z.strictObject({
  id: IdSchema,
  level: z.enum(['info', 'warning', 'error']),
  title: text(200),
  message: text(),
  /**
   * 'session': about the session's state (ended, downgraded); the screens show that state themselves, so
   * such a notice is folded into the session banner rather than stacked as a toast.
   */
  topic: z.enum(['session', 'action', 'trading']).optional(),
  at: InstantSchema,
});
export type Notification = z.infer<typeof NotificationSchema>;

export const AppStateSchema = z.strictObject({
  contractVersion: z.literal(CONTRACT_VERSION),
  connection: ConnectionEventSchema,
  enrolled: z.boolean(),
  /** True when IT's managed config holds an enrollment token and enrollment runs silently. */
  silentEnrollment: z.boolean(),
  user: z.strictObject({ username: text(200), role: text(100).optional() }).nullable(),
  pendingStepUp: StepUpChallengeSchema.nullable(),
  /** 'electron' in the desktop app, 'preview' in the browser preview (a development tool). */
  host: z.enum(['electron', 'preview']),
});
export type AppState = z.infer<typeof AppStateSchema>;
