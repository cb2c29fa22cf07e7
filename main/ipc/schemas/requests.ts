/**
 * Request and result bodies of the calls (renderer → main).
 * Part of the IPC contract: re-exported by main/ipc/contract.ts, the only file the renderer imports.
 */
import { z } from 'zod';
import { DateSchema, DealersSelectionSchema, ExecutionSchema, IdSchema, SideSchema, text } from './trading.ts';
import { WebAuthnCreationOptionsSchema, WebAuthnCredentialSchema, WebAuthnRegistrationSchema } from './security.ts';

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
