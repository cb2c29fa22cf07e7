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

/** The single invoke channel (request → response) and the single event channel (main → renderer). */
export const IPC_CALL_CHANNEL = 'parley:call';
export const IPC_EVENT_CHANNEL = 'parley:event';


export * from './schemas/trading.ts';
export * from './schemas/security.ts';
export * from './schemas/requests.ts';
import { type Dealer, DealerSchema, type Execution, ExecutionSchema, IdSchema, InstantSchema, type Instrument, InstrumentSchema, type OpenRfq, OpenRfqSchema, type Rfq, RfqSchema, text } from './schemas/trading.ts';
import { type AppState, AppStateSchema, CONTRACT_VERSION, type ConnectionEvent, ConnectionEventSchema, NotificationSchema, type Security, SecuritySchema, StepUpChallengeSchema } from './schemas/security.ts';
import { type CreateRfq, CreateRfqSchema, type HistoryQuery, HistoryQuerySchema, type HitResult, HitResultSchema, type QuoteRef, QuoteRefSchema, type RegisterSecurityKey, type RegisterSecurityKeyResult, RegisterSecurityKeyResultSchema, RegisterSecurityKeySchema, type StepUpAnswer, StepUpAnswerSchema, type StepUpResult, StepUpResultSchema } from './schemas/requests.ts';

// ---------------------------------------------------------------------------------------------------------
// Calls (renderer → main, request → response)

const Empty = z.strictObject({});
const Ok = z.strictObject({ ok: z.literal(true) });

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
