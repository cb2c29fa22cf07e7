/**
 * Trading entities as the renderer sees them: instruments, dealers, quotes, RFQs, executions, open RFQs.
 * Part of the IPC contract: re-exported by main/ipc/contract.ts, the only file the renderer imports.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Building blocks

export const MAX_TEXT = 2_000;
/** A bounded string: everything crossing the IPC boundary is hostile until checked. */
export const text = (max = MAX_TEXT) => z.string().max(max);
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
