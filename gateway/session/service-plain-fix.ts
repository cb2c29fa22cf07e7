/**
 * Plain FIX 4.4 for engines that do not speak Parley's extension (issue 11 item 3): an account whose directory
 * entry says `protocol: "fix44"` gets only standard FIX 4.4 from the gateway, so a stock engine (QuickFIX with
 * its own FIX44.xml) accepts every message. Decisions reach it in standard fields: a refused Logon or an ended
 * session as Logout Text, a refused request as BusinessMessageReject / QuoteRequestReject Text — Parley's
 * U-messages (SecurityStatus, step-up, attestation requests, dealer list) are not sent and Parley's user-range
 * tags are stripped from standard messages. Everything stays audited as for any session.
 *
 * A step-up cannot be carried in plain FIX: a logon that would need one is refused with the reason (logon.ts).
 *
 * API
 *   speaksPlainFix44(user) → boolean
 *   stripParleyFields(fields) → fields without Parley's tags (and so without the factors group)
 *   speakPlainFix44(fix, onDropped)   every later send()/logout() of this FixSession instance is filtered
 */
import type { Field } from '../../fix/codec.ts';
import { PARLEY_EXTENSION } from '../../fix/parley-protocol.ts';
import type { FixSession } from '../../fix/session.ts';
import type { User } from '../identity/directory.ts';

const PARLEY_TAGS: ReadonlySet<number> = new Set((PARLEY_EXTENSION.fields ?? []).map((f) => f.tag));
const PARLEY_MSG_TYPES: ReadonlySet<string> = new Set((PARLEY_EXTENSION.messages ?? []).map((m) => m.msgType));

export function speaksPlainFix44(user: Pick<User, 'protocol'> | undefined): boolean {
  return user?.protocol === 'fix44';
}

export function stripParleyFields(fields: readonly Field[]): Field[] {
  return fields.filter((f) => !PARLEY_TAGS.has(f.tag));
}

export function isParleyMessage(msgType: string): boolean {
  return PARLEY_MSG_TYPES.has(msgType);
}

/**
 * Filters what the gateway sends on this one FIX session: Parley messages are dropped (reported to `onDropped`,
 * they consume no sequence number), Parley tags are stripped from the rest. The instance's own methods are
 * replaced, so every part of the live session (RFQ handlers, access gate, posture watch) is covered at one point.
 */
export function speakPlainFix44(fix: FixSession, onDropped: (msgType: string) => void): void {
  const send = fix.send.bind(fix);
  const logout = fix.logout.bind(fix);
  fix.send = (msgType: string, body: Field[]): number => {
    if (isParleyMessage(msgType)) { onDropped(msgType); return 0; }
    return send(msgType, stripParleyFields(body));
  };
  fix.logout = (text?: string, extraFields: Field[] = []): Promise<void> => logout(text, stripParleyFields(extraFields));
}
