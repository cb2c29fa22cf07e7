/**
 * The one typed contract between the client core (main) and the renderer.
 *
 * Pure TypeScript + zod, no Node or Electron imports: the renderer imports this file, the Electron preload
 * and the browser-preview bridge implement `ParleyApi` with it, and main's IPC handler validates every
 * request, response and event against the same schemas — so a compromised or buggy side cannot push
 * anything past the other that the contract does not describe.
 *
 * Every object is strict (unknown keys are refused) and every string and array is bounded, because the
 * handler treats whatever arrives over IPC as hostile.
 */
import { z } from 'zod';

export const CONTRACT_VERSION = 1;

/** The single invoke channel (request → response) and the single event channel (main → renderer). */
export const IPC_CALL_CHANNEL = 'parley:call';
export const IPC_EVENT_CHANNEL = 'parley:event';

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const MAX_TEXT = 2_000;
const text = (max = MAX_TEXT) => z.string().max(max);
/** Identifiers that travel into FIX fields: printable, no SOH, no '='. */
export const IdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9._:\-]+$/, 'letters, digits and . _ : - only');
/** An ISO-8601 instant as produced by Date.prototype.toISOString(). */
export const InstantSchema = z.iso.datetime({ offset: true });
/** A calendar date, YYYY-MM-DD. */
export const DateSchema = z.iso.date();

export const SideSchema = z.enum(['buy', 'sell']);
export type Side = z.infer<typeof SideSchema>;

export const ConnectionStateSchema = z.enum([
  'connected',
  'connecting',
  'reconnecting',
  'challenged',
  'denied',
  'enrollment-needed',
  'signed-out',
  'offline',
  'config-error',
]);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

/** One contribution to the gateway's risk score, shown to the user so they know why. */
export const RiskFactorSchema = z.strictObject({
  name: text(100),
  score: z.number().finite(),
  detail: text().optional(),
});
export type RiskFactor = z.infer<typeof RiskFactorSchema>;

export const DecisionSchema = z.enum(['allow', 'step-up', 'deny']);
export type Decision = z.infer<typeof DecisionSchema>;

export const InstrumentSchema = z.strictObject({
  symbol: IdSchema,
  description: text(200),
  securityId: text(64).optional(),
  currency: text(8).optional(),
  assetClass: text(64).optional(),
});
export type Instrument = z.infer<typeof InstrumentSchema>;

export const DealerSchema = z.strictObject({
  id: IdSchema,
  name: text(200),
});
export type Dealer = z.infer<typeof DealerSchema>;

export const QuoteStatusSchema = z.enum(['live', 'expired', 'hit', 'passed', 'cancelled', 'rejected']);
export const QuoteSchema = z.strictObject({
  quoteId: IdSchema,
  dealer: IdSchema,
  price: z.number().finite(),
  quantity: z.number().finite().positive().optional(),
  /** FIX ValidUntilTime(62): after this instant the quote can no longer be hit. */
  validUntil: InstantSchema,
  receivedAt: InstantSchema,
  status: QuoteStatusSchema,
});
export type Quote = z.infer<typeof QuoteSchema>;

export const RfqStatusSchema = z.enum(['pending', 'quoted', 'executing', 'executed', 'cancelled', 'expired', 'rejected']);
export type RfqStatus = z.infer<typeof RfqStatusSchema>;

export const DealersSelectionSchema = z.union([z.literal('all'), z.array(IdSchema).min(1).max(100)]);

export const RfqSchema = z.strictObject({
  clientRfqId: IdSchema,
  instrument: IdSchema,
  side: SideSchema,
  quantity: z.number().finite().positive(),
  settlementDate: DateSchema,
  dealers: DealersSelectionSchema,
  createdAt: InstantSchema,
  expiresAt: InstantSchema,
  status: RfqStatusSchema,
  reason: text().optional(),
  quotes: z.array(QuoteSchema).max(1_000),
});
export type Rfq = z.infer<typeof RfqSchema>;

export const ExecutionSchema = z.strictObject({
  execId: IdSchema,
  clientRfqId: IdSchema,
  quoteId: IdSchema,
  dealer: IdSchema,
  instrument: IdSchema,
  side: SideSchema,
  quantity: z.number().finite().positive(),
  price: z.number().finite(),
  settlementDate: DateSchema,
  transactTime: InstantSchema,
});
export type Execution = z.infer<typeof ExecutionSchema>;

/** A risk officer's read-only view of someone's open RFQ. */
export const OpenRfqSchema = z.strictObject({
  rfqId: IdSchema,
  owner: text(200),
  instrument: IdSchema,
  side: SideSchema,
  quantity: z.number().finite().positive(),
  status: RfqStatusSchema,
  quoteCount: z.number().int().nonnegative(),
  createdAt: InstantSchema,
  expiresAt: InstantSchema.optional(),
});
export type OpenRfq = z.infer<typeof OpenRfqSchema>;

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

// ---------------------------------------------------------------------------------------------------------
// Calls (renderer → main, request → response)

const Empty = z.strictObject({});
const Ok = z.strictObject({ ok: z.literal(true) });

export const StepUpAnswerSchema = z.discriminatedUnion('method', [
  z.strictObject({ challengeId: IdSchema, method: z.literal('totp'), code: z.string().regex(/^\d{6,8}$/, '6 to 8 digits') }),
  z.strictObject({ challengeId: IdSchema, method: z.literal('webauthn'), credential: WebAuthnCredentialSchema }),
]);
export type StepUpAnswer = z.infer<typeof StepUpAnswerSchema>;

export const CreateRfqSchema = z.strictObject({
  /** Chosen by the renderer (e.g. crypto.randomUUID()); resubmitting the same id never makes a second RFQ. */
  clientRfqId: IdSchema,
  instrument: IdSchema,
  side: SideSchema,
  quantity: z.number().finite().positive().max(1e12),
  settlementDate: DateSchema,
  dealers: DealersSelectionSchema,
  expirySeconds: z.number().int().min(5).max(3_600),
});
export type CreateRfq = z.infer<typeof CreateRfqSchema>;

export const QuoteRefSchema = z.strictObject({ clientRfqId: IdSchema, quoteId: IdSchema });
export type QuoteRef = z.infer<typeof QuoteRefSchema>;

export const HitResultSchema = z.strictObject({
  /** 'duplicate': this quote was already hit from this client; no second trade was requested. */
  status: z.enum(['submitted', 'duplicate', 'filled', 'rejected']),
  execution: ExecutionSchema.optional(),
  reason: text().optional(),
});
export type HitResult = z.infer<typeof HitResultSchema>;

export const HistoryQuerySchema = z.strictObject({
  from: DateSchema,
  to: DateSchema,
  instrument: IdSchema.optional(),
  side: SideSchema.optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const StepUpResultSchema = z.strictObject({
  outcome: z.enum(['accepted', 'rejected', 'locked', 'expired']),
  attemptsLeft: z.number().int().nonnegative().optional(),
  reason: text().optional(),
});
export type StepUpResult = z.infer<typeof StepUpResultSchema>;

/**
 * Registering a security key, in two calls: 'begin' asks the gateway for creation options (it may first send
 * a step-up challenge through the usual stepUpChallenge event when the last second factor is too old);
 * 'finish' sends what the authenticator made. A refusal is a result with the gateway's reason, not an error.
 */
export const RegisterSecurityKeySchema = z.discriminatedUnion('stage', [
  z.strictObject({ stage: z.literal('begin') }),
  z.strictObject({ stage: z.literal('finish'), registrationId: IdSchema, credential: WebAuthnRegistrationSchema }),
]);
export type RegisterSecurityKey = z.infer<typeof RegisterSecurityKeySchema>;

export const RegisterSecurityKeyResultSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('options'), registrationId: IdSchema, options: WebAuthnCreationOptionsSchema }),
  z.strictObject({ status: z.literal('registered'), credentialId: text(1024) }),
  z.strictObject({ status: z.literal('rejected'), reason: text() }),
]);
export type RegisterSecurityKeyResult = z.infer<typeof RegisterSecurityKeyResultSchema>;

export const calls = {
  getState: { request: Empty, response: AppStateSchema },
  enroll: {
    request: z.strictObject({ token: z.string().min(8).max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII') }),
    response: z.strictObject({ subject: text(512), notAfter: InstantSchema }),
  },
  signIn: {
    request: z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1_024) }),
    response: ConnectionEventSchema,
  },
  signOut: { request: Empty, response: Ok },
  answerStepUp: { request: StepUpAnswerSchema, response: StepUpResultSchema },
  cancelStepUp: { request: z.strictObject({ challengeId: IdSchema }), response: Ok },
  listInstruments: { request: Empty, response: z.array(InstrumentSchema).max(10_000) },
  listDealers: { request: Empty, response: z.array(DealerSchema).max(1_000) },
  /** The RFQs of this session (also after a renderer reload). */
  listRfqs: { request: Empty, response: z.array(RfqSchema).max(10_000) },
  createRfq: { request: CreateRfqSchema, response: RfqSchema },
  /** Idempotent: hitting the same quote twice returns 'duplicate' and never a second trade. */
  hitQuote: { request: QuoteRefSchema, response: HitResultSchema },
  passQuote: { request: QuoteRefSchema, response: Ok },
  cancelRfq: { request: z.strictObject({ clientRfqId: IdSchema }), response: Ok },
  queryHistory: { request: HistoryQuerySchema, response: z.array(ExecutionSchema).max(100_000) },
  getSecurity: { request: Empty, response: SecuritySchema },
  /** Risk officers only (the gateway decides); others get a 'forbidden' error. */
  listOpenRfqs: { request: Empty, response: z.array(OpenRfqSchema).max(10_000) },
  /** begin → creation options (or a refusal); finish → registered (or a refusal with the gateway's reason). */
  registerSecurityKey: { request: RegisterSecurityKeySchema, response: RegisterSecurityKeyResultSchema },
} as const;

export type CallName = keyof typeof calls;
export const callNames = Object.keys(calls) as CallName[];
export type CallRequest<N extends CallName> = z.infer<(typeof calls)[N]['request']>;
export type CallResponse<N extends CallName> = z.infer<(typeof calls)[N]['response']>;

// ---------------------------------------------------------------------------------------------------------
// Events (main → renderer)

export const events = {
  connection: ConnectionEventSchema,
  /** The whole RFQ with all its quotes, each time anything about it changes. */
  rfq: RfqSchema,
  execution: ExecutionSchema,
  stepUpChallenge: StepUpChallengeSchema,
  /** The challenge is over (answered, cancelled or expired): close the prompt. */
  stepUpResolved: z.strictObject({ challengeId: IdSchema, outcome: StepUpResultSchema.shape.outcome }),
  security: SecuritySchema,
  notification: NotificationSchema,
  /** Risk officers: the full current list of open RFQs, read-only. */
  openRfqs: z.array(OpenRfqSchema).max(10_000),
} as const;

export type EventName = keyof typeof events;
export const eventNames = Object.keys(events) as EventName[];
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;

// ---------------------------------------------------------------------------------------------------------
// Wire envelopes (what travels over the IPC channel / the preview's WebSocket)

export const ErrorCodeSchema = z.enum([
  'invalid-request',
  'invalid-response',
  'forbidden-sender',
  'unknown-call',
  'not-enrolled',
  'not-connected',
  'not-signed-in',
  'forbidden',
  'not-found',
  'conflict',
  'denied',
  'timeout',
  'config-error',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const CallEnvelopeSchema = z.strictObject({
  call: z.string().max(64),
  request: z.unknown(),
});
export type CallEnvelope = z.infer<typeof CallEnvelopeSchema>;

export const ResultEnvelopeSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: z.strictObject({ code: ErrorCodeSchema, message: text() }) }),
]);
export type ResultEnvelope = z.infer<typeof ResultEnvelopeSchema>;

export const EventEnvelopeSchema = z.strictObject({
  event: z.string().max(64),
  payload: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

/** What a ParleyApi call rejects with. */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ParleyError';
    this.code = code;
  }
}

/** One line per issue, e.g. "quantity: Too small: expected number to be >0". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export type Validated<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

export function validateRequest<N extends CallName>(name: N, raw: unknown): Validated<CallRequest<N>> {
  const r = calls[name].request.safeParse(raw ?? {});
  return r.success
    ? { ok: true, value: r.data as CallRequest<N> }
    : { ok: false, code: 'invalid-request', message: `${name}: ${describeIssues(r.error)}` };
}
export function validateResponse<N extends CallName>(name: N, raw: unknown): Validated<CallResponse<N>> {
  const r = calls[name].response.safeParse(raw);
  return r.success
    ? { ok: true, value: r.data as CallResponse<N> }
    : { ok: false, code: 'invalid-response', message: `${name}: ${describeIssues(r.error)}` };
}
export function validateEvent<E extends EventName>(name: E, raw: unknown): Validated<EventPayload<E>> {
  const r = events[name].safeParse(raw);
  return r.success
    ? { ok: true, value: r.data as EventPayload<E> }
    : { ok: false, code: 'invalid-response', message: `event ${name}: ${describeIssues(r.error)}` };
}

// ---------------------------------------------------------------------------------------------------------
// What `window.parley` is (Electron preload and browser preview alike)

export type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

export interface ParleyApi {
  readonly contractVersion: typeof CONTRACT_VERSION;
  getState(): Promise<AppState>;
  enroll(req: CallRequest<'enroll'>): Promise<CallResponse<'enroll'>>;
  signIn(req: CallRequest<'signIn'>): Promise<ConnectionEvent>;
  signOut(): Promise<{ ok: true }>;
  answerStepUp(req: StepUpAnswer): Promise<StepUpResult>;
  cancelStepUp(req: { challengeId: string }): Promise<{ ok: true }>;
  listInstruments(): Promise<Instrument[]>;
  listDealers(): Promise<Dealer[]>;
  listRfqs(): Promise<Rfq[]>;
  createRfq(req: CreateRfq): Promise<Rfq>;
  hitQuote(req: QuoteRef): Promise<HitResult>;
  passQuote(req: QuoteRef): Promise<{ ok: true }>;
  cancelRfq(req: { clientRfqId: string }): Promise<{ ok: true }>;
  queryHistory(req: HistoryQuery): Promise<Execution[]>;
  getSecurity(): Promise<Security>;
  listOpenRfqs(): Promise<OpenRfq[]>;
  registerSecurityKey(req: RegisterSecurityKey): Promise<RegisterSecurityKeyResult>;
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void;
}

/** Calls whose request is empty: their ParleyApi function takes no argument. */
export const noArgCalls: ReadonlySet<CallName> = new Set(
  callNames.filter((n) => calls[n].request === (Empty as unknown)),
);

/**
 * Builds a ParleyApi over any transport (the Electron preload's ipcRenderer.invoke, the preview's
 * WebSocket): validates the request before sending, the response and every event on arrival.
 */
export function createParleyApi(transport: {
  invoke(envelope: CallEnvelope): Promise<unknown>;
  subscribe(handler: (envelope: EventEnvelope) => void): void;
}): ParleyApi {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  transport.subscribe((raw) => {
    const env = EventEnvelopeSchema.safeParse(raw);
    if (!env.success || !isEventName(env.data.event)) return;
    const v = validateEvent(env.data.event, env.data.payload);
    if (!v.ok) {
      console.warn(`parley: dropped an invalid event: ${v.message}`);
      return;
    }
    for (const l of listeners.get(env.data.event) ?? []) {
      try {
        l(v.value);
      } catch (e) {
        console.error('parley: event listener threw', e);
      }
    }
  });

  async function call(name: CallName, request: unknown): Promise<unknown> {
    const req = validateRequest(name, request);
    if (!req.ok) throw new ParleyError(req.code, req.message);
    const raw = await transport.invoke({ call: name, request: req.value });
    const env = ResultEnvelopeSchema.safeParse(raw);
    if (!env.success) throw new ParleyError('invalid-response', `${name}: malformed result envelope`);
    if (!env.data.ok) throw new ParleyError(env.data.error.code, env.data.error.message);
    const res = validateResponse(name, env.data.value);
    if (!res.ok) throw new ParleyError(res.code, res.message);
    return res.value;
  }

  const api: Record<string, unknown> = {
    contractVersion: CONTRACT_VERSION,
    on(event: EventName, listener: (p: unknown) => void) {
      if (!isEventName(event)) throw new ParleyError('invalid-request', `unknown event ${String(event)}`);
      if (typeof listener !== 'function') throw new ParleyError('invalid-request', 'listener must be a function');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
  };
  for (const name of callNames) {
    api[name] = noArgCalls.has(name) ? () => call(name, {}) : (req: unknown) => call(name, req);
  }
  return Object.freeze(api) as unknown as ParleyApi;
}
