/**
 * ParleySessionStatus(5037) on a Logout: why the engine itself ended the session, as a code — FIXT 1.1's
 * SessionStatus(1409) values, which FIX 4.4 lacks. Today one: 9, the peer's MsgSeqNum was too low (its
 * sequence numbers are behind ours, e.g. it lost its store): the client then starts a new FIX session
 * instead of reading the Logout's Text, which is for people.
 */
import type { Field, FixMessage } from '../codec.ts';
import { SESSION_STATUS_WIRE } from '../dictionary/parley-extension.ts';
import { Tag } from '../dictionary/tags.ts';

export type SessionStatus = keyof typeof SESSION_STATUS_WIRE;

/**
 * The Logout fields for why the engine closed a session (fix/session's CloseKind, given as `cause`); none for a
 * cause without a status. Meant for SessionConfig.logoutFields.
 */
export function writeLogoutSessionStatus(cause: string): Field[] {
  return cause === 'seq-too-low' ? [{ tag: Tag.ParleySessionStatus, value: SESSION_STATUS_WIRE[cause] }] : [];
}

/** The status a Logout carries; undefined when it has none or one this side does not know. */
export function readLogoutSessionStatus(m: FixMessage): SessionStatus | undefined {
  const v = m.get(Tag.ParleySessionStatus);
  return (Object.keys(SESSION_STATUS_WIRE) as SessionStatus[]).find((k) => SESSION_STATUS_WIRE[k] === v);
}
