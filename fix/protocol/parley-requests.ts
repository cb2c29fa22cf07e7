/**
 * Parley's small request / answer messages that fix/parley-protocol.ts has no builder for: the Attestation
 * (UA) a client sends on its own, the gateway's AttestationRequest (UF), DealerListRequest (UH),
 * OpenRfqsRequest (UI) and its OpenRfqsAck (UJ). The larger ones (security status, step-up, dealer list, key
 * registration) live in fix/parley-protocol.ts.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { parseUtcTimestamp, utcTimestamp } from './time.ts';
import { safeText } from './values.ts';

/** The longest attestation (a compact JWS) either side accepts in one field. */
export const MAX_ATTESTATION = 64 * 1024;

export function writeAttestation(jws: string): Field[] {
  return [{ tag: Tag.ParleyAttestation, value: jws }];
}

export function readAttestation(m: FixMessage): ReadResult<{ jws: string }> {
  const jws = m.get(Tag.ParleyAttestation);
  if (!jws) return refuse('ParleyAttestation(5001) missing');
  if (jws.length > MAX_ATTESTATION) return refuse(`ParleyAttestation(5001) is longer than ${MAX_ATTESTATION} characters`);
  return ok({ jws });
}

export interface AttestationRequestMsg { deadline: Date; intervalSec?: number; text?: string }

export function writeAttestationRequest(r: AttestationRequestMsg): Field[] {
  const f: Field[] = [{ tag: Tag.ParleyAttestDeadline, value: utcTimestamp(r.deadline) }];
  if (r.intervalSec !== undefined) f.push({ tag: Tag.ParleyAttestInterval, value: String(Math.round(r.intervalSec)) });
  if (r.text) f.push({ tag: Tag.Text, value: safeText(r.text) });
  return f;
}

export function readAttestationRequest(m: FixMessage): ReadResult<AttestationRequestMsg> {
  const deadline = parseUtcTimestamp(m.get(Tag.ParleyAttestDeadline));
  if (!deadline) return refuse('ParleyAttestDeadline(5021) missing or not a UTC timestamp');
  const out: AttestationRequestMsg = { deadline };
  const interval = m.getInt(Tag.ParleyAttestInterval);
  if (interval !== undefined && Number.isSafeInteger(interval) && interval > 0) out.intervalSec = interval;
  const text = m.get(Tag.Text);
  if (text) out.text = text.slice(0, 512);
  return ok(out);
}

function requestId(m: FixMessage): ReadResult<string> {
  const id = m.get(Tag.ParleyRequestID);
  if (!id) return refuse('ParleyRequestID(5030) missing');
  if (id.length > 64) return refuse('ParleyRequestID(5030) is longer than 64 characters');
  return ok(id);
}

export function writeDealerListRequest(r: { requestId: string }): Field[] {
  return [{ tag: Tag.ParleyRequestID, value: safeText(r.requestId, 64) }];
}

export function readDealerListRequest(m: FixMessage): ReadResult<{ requestId: string }> {
  const id = requestId(m);
  return id.ok ? ok({ requestId: id.value }) : id;
}

/** SubscriptionRequestType(263): 0 snapshot, 1 snapshot and updates, 2 unsubscribe. */
export type OpenRfqsMode = 'snapshot' | 'subscribe' | 'unsubscribe';
const MODE_WIRE: Record<OpenRfqsMode, string> = { snapshot: '0', subscribe: '1', unsubscribe: '2' };

export interface OpenRfqsRequestMsg { requestId: string; mode: OpenRfqsMode }

export function writeOpenRfqsRequest(r: OpenRfqsRequestMsg): Field[] {
  return [{ tag: Tag.ParleyRequestID, value: safeText(r.requestId, 64) }, { tag: Tag.SubscriptionRequestType, value: MODE_WIRE[r.mode] }];
}

export function readOpenRfqsRequest(m: FixMessage): ReadResult<OpenRfqsRequestMsg> {
  const id = requestId(m);
  if (!id.ok) return id;
  const wire = m.get(Tag.SubscriptionRequestType) ?? MODE_WIRE.snapshot;
  const mode = (Object.keys(MODE_WIRE) as OpenRfqsMode[]).find((k) => MODE_WIRE[k] === wire);
  if (!mode) return refuse(`SubscriptionRequestType(263)=${wire.slice(0, 20)} is not 0, 1 or 2`);
  return ok({ requestId: id.value, mode });
}

/** How many QuoteStatusReports follow; a count of 0 with a Text is a refusal. */
export interface OpenRfqsAckMsg { requestId: string; count: number; text?: string }

export function writeOpenRfqsAck(a: OpenRfqsAckMsg): Field[] {
  const f: Field[] = [{ tag: Tag.ParleyRequestID, value: safeText(a.requestId, 64) }, { tag: Tag.ParleyReportCount, value: String(a.count) }];
  if (a.text) f.push({ tag: Tag.Text, value: safeText(a.text) });
  return f;
}

export function readOpenRfqsAck(m: FixMessage): ReadResult<OpenRfqsAckMsg> {
  const id = requestId(m);
  if (!id.ok) return id;
  const count = m.getInt(Tag.ParleyReportCount);
  const out: OpenRfqsAckMsg = { requestId: id.value, count: count !== undefined && Number.isSafeInteger(count) ? Math.max(0, count) : 0 };
  const text = m.get(Tag.Text);
  if (text) out.text = text.slice(0, 2_000);
  return ok(out);
}
