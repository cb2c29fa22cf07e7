/**
 * The contract between a live session (live-session.ts) and its parts (the step-up flow, the access gate, the RFQ
 * and key-registration handlers, the posture watch): what a part may do to its session, and the actions a step-up
 * can hold, as data. A held action is performed or refused by the handler its kind names, once the step-up
 * settles; nothing is kept as a closure.
 */
import type { Field } from '../../fix/codec.ts';
import type { SecurityStatus } from '../../fix/parley-protocol.ts';
import type { Owner } from '../desk/desk.ts';
import type { ParsedHit, ParsedRfq } from './fix-mapping.ts';
import type { LogonContext } from './logon.ts';
import type { BusinessRejectMsg } from '../../fix/protocol/index.ts';

export interface SessionIo {
  readonly id: string;
  readonly ctx: LogonContext;
  readonly owner: Owner;
  /** Sends an application message unless the session or its FIX session is over (a failed send is audited). */
  send(msgType: string, body: Field[]): void;
  status(s: Omit<SecurityStatus, 'factors'> & { factors?: SecurityStatus['factors'] }): void;
  /** An audit event with the session, user and CompID added. */
  audit(type: string, data?: Record<string, unknown>): void;
  /** A handler threw: audited, the session goes on. */
  internal(e: unknown): void;
  isEnded(): boolean;
  isActive(): boolean;
}

/** A request the access policy (or the gateway's own floor) held for a step-up. */
export type HeldAction =
  | { kind: 'create-rfq'; rfq: ParsedRfq }
  | { kind: 'hit-quote'; hit: ParsedHit; symbol?: string }
  | { kind: 'cancel-rfq'; quoteReqId: string; quoteId?: string; ref: Pick<BusinessRejectMsg, 'refMsgType' | 'refSeqNum' | 'refId'> }
  | { kind: 'view-trades'; reqId: string; symbol?: string }
  | { kind: 'view-open-rfqs'; requestId: string; subscribe: boolean }
  | { kind: 'register-key'; requestId: string };

/** What a step-up may hold: the logon itself, or one request. */
export type HeldStep = { kind: 'logon' } | HeldAction;

