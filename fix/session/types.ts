/** The session layer's public shapes, shared by its modules (re-exported by fix/session.ts). */
import type { Field, FixMessage } from '../codec.ts';
import type { Dictionary } from '../dictionary/dictionary.ts';
import type { MessageStore } from '../store.ts';
import type { FixConnection } from '../transport.ts';
import type { SessionRegistry } from './registry.ts';

export interface SessionConfig {
  senderCompId: string;
  targetCompId: string;
  beginString?: 'FIX.4.4';
  /** seconds; an acceptor uses the peer's Logon value */
  heartBtInt: number;
  resetOnLogon?: boolean;
  logonTimeoutMs?: number;
  /** how long we wait for the answer to our Logout before closing, default 2000 */
  logoutTimeoutMs?: number;
  /** default 120 */
  sendingTimeToleranceSec?: number;
  /** reset both sequence numbers at this UTC time of day ("HH:MM" or "HH:MM:SS"), logging out a session still active */
  dailyReset?: { atUtc: string };
  /** default true; false accepts `tag=` with an empty value */
  checkFieldsHaveValues?: boolean;
  maxMessageSize?: number;
  store: MessageStore;
  dictionary?: Dictionary;
  /** milliseconds per HeartBtInt second; 1000 except in tests that compress time */
  heartbeatUnitMs?: number;
  /** fields added to a Logout the session sends itself when it ends the session for `cause` (a peer reads why
   *  from them, not from the Text); today asked for 'seq-too-low' */
  logoutFields?: (cause: CloseKind) => Field[];
}
export type SessionState = 'connecting' | 'logon-sent' | 'active' | 'logout-sent' | 'closed';
export interface RejectInfo {
  direction: 'sent' | 'received';
  refSeqNum?: number;
  refMsgType?: string;
  reason?: number;
  refTagId?: number;
  text?: string;
}
export type LogonDecision = { ok: true; extraFields?: Field[] } | { ok: false; text: string; extraFields?: Field[] };
export interface AcceptOptions {
  lookup: (senderCompId: string, targetCompId: string) => SessionConfig | undefined;
  authorizeLogon?: (logon: FixMessage, conn: FixConnection) => Promise<LogonDecision>;
  logonTimeoutMs?: number;
  registry?: SessionRegistry;
  /** size limit of the stream before the Logon names the session (default 64 KiB); a session's own
   *  SessionConfig.maxMessageSize can only lower it */
  maxMessageSize?: number;
  /** See the API notes: a Logon with the same certificate key takes over a session already logged on. */
  takeOverSameCertificate?: boolean;
  /** Told of a Logon whose SenderCompID the certificate is not bound to (refused before any lookup), to alert on. */
  onForeignCompId?: (info: { compId: string; allowed: string[]; connection: FixConnection }) => void;
}
export type Role = 'acceptor' | 'initiator';
/**
 * Why a session closed, for code to decide on (the 'closed' event's text is for people). 'disconnected' is a
 * caller's own disconnect(); the rest are the session's.
 */
export type CloseKind =
  | 'connection-lost' | 'taken-over' | 'logged-out' | 'logout-before-logon' | 'seq-too-low' | 'garbled' | 'too-large'
  | 'flood' | 'queue-overflow' | 'logon-timeout' | 'logout-timeout' | 'peer-timeout' | 'daily-reset'
  | 'not-a-logon' | 'unknown-session' | 'already-logged-on' | 'invalid-logon' | 'logon-refused' | 'rejected-before-logon'
  | 'wrong-begin-string' | 'message-before-logon' | 'internal-error' | 'disconnected';
export interface CloseCause { kind: CloseKind }
