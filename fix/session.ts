/**
 * FIX 4.4 session layer (initiator and acceptor), over mutual TLS (fix/transport.ts) or a plain socket in tests.
 * Its behaviour follows the FIX 4.4 session protocol as QuickFIX implements it, which is what the acceptance
 * definitions in ../shared/fix/acceptance/fix44 encode (see docs/conformance.md).
 *
 * API
 *   interface SessionConfig   one side's view: senderCompId is *us*, targetCompId the peer.
 *   class FixSession extends EventEmitter
 *     events  'logon' (logonMsg: FixMessage)       the session is active
 *             'message' (msg: FixMessage)          application messages only, in MsgSeqNum order, exactly once
 *             'logout' (text?: string, msg)        the peer logged out (or answered ours), or refused our Logon: a
 *                                                  Logout before the Logon exchange is not answered, and not
 *                                                  counted (no session was established); msg carries its fields
 *             'reject' (info: RejectInfo)          a session-level Reject we sent or received
 *             'event' (text: string)               diagnostics worth logging (garbled input, gaps, timeouts)
 *             'error' (err: Error)                 only emitted when someone listens
 *             'closed' (reason: string, cause)     the connection is gone; emitted once. reason is for people;
 *                                                  cause ({ kind: CloseKind }, also .closeCause) for code
 *     send(msgType, body) → MsgSeqNum              persisted in the store before it is written; throws before the
 *                                                  'logon' event; after 'closed' it goes out on the session that
 *                                                  took this one over (same registry key and store) if that one is
 *                                                  active; otherwise it is stored (and resent to the peer on its
 *                                                  ResendRequest next time) but not written
 *     businessReject(msg, reason, text)            BusinessMessageReject(j) for an application message
 *     logout(text?, extraFields?) → Promise<void>  resolves when the connection is closed (the peer's answer,
 *                                                  or logoutTimeoutMs); extraFields go on the Logout
 *     disconnect(reason, kind?)                    drops the connection now, without a Logout (kind 'disconnected')
 *     state   'connecting' | 'logon-sent' | 'active' | 'logout-sent' | 'closed'
 *     connection, config (undefined on an acceptor until the Logon named the session)
 *   acceptSession(conn, { lookup, authorizeLogon?, logonTimeoutMs?, registry?, maxMessageSize?, takeOverSameCertificate? }) → FixSession
 *     lookup(senderCompId, targetCompId) gets the *incoming Logon's* 49 and 56 (the peer, then us) and
 *     returns our SessionConfig (senderCompId = us) or undefined to refuse. Before answering the Logon the
 *     acceptor checks, in order: the certificate→CompID binding (conn.allowedCompIds must contain the Logon's
 *     SenderCompID; a refusal is a Logout with Text), that the session is not already logged on (QuickFIX
 *     disconnects the second), the dictionary, SendingTime, and then `authorizeLogon` (extra fields go on
 *     our Logon reply; { ok: false, text, extraFields? } is answered with a Logout carrying that text and those fields).
 *     takeOverSameCertificate (opt-in; off is QuickFIX's behaviour): a Logon for a session already logged on,
 *     over a connection whose client certificate has the same public key as the live one's, passes every check
 *     above and then TAKES OVER the session: the live connection is dropped (closed reason "taken over by a new
 *     connection from <addr>") and the newcomer continues the same session — same store, sequence numbers and
 *     resend, no reset. For a client whose address changed while the old TCP connection still looks alive.
 *     Another certificate is refused as before.
 *   initiateSession(conn, cfg & { logonFields? }) → FixSession   sends the Logon at once.
 *   new SessionRegistry()   which sessions are logged on; sessions sharing one refuse duplicate logons.
 *
 * Layout (QuickFIX's split of session, store and transport; the session itself by concern, in session/):
 *   session/session.ts         FixSession, the coordinator: framing, dispatch, public API, teardown
 *   session/acceptor-logon.ts  an acceptor's first Logon: binding, duplicate/takeover, authorizeLogon
 *   session/inbound.ts         validation, per-type handlers, sequence checks, draining the gap queue
 *   session/sequence.ts        the gap queue and our outstanding ResendRequest range
 *   session/resend.ts          answering a ResendRequest from the store (PossDup resends, gap fills)
 *   session/generate.ts        Logon, Logout, Heartbeat, Reject, ResendRequest
 *   session/writer.ts          header, store-then-write, SequenceReset-GapFill, PossDup framing
 *   session/timers.ts          logon/logout timeouts, heartbeat/TestRequest, daily reset
 *   session/registry.ts        SessionRegistry, TAKEN_OVER, sameCertificateKey
 *   session/context.ts, types.ts  the state the modules share; the public types
 */
// The one strict UTCTimestamp parser / formatter (fix/protocol/time.ts); exported here under the names the
// session always had (parseUtcTimestamp → epoch ms).
export { parseUtcTimestampMs as parseUtcTimestamp, utcTimestamp } from './protocol/time.ts';
export type { AcceptOptions, CloseCause, CloseKind, LogonDecision, RejectInfo, SessionConfig, SessionState } from './session/types.ts';
export { sameCertificateKey, SessionRegistry, TAKEN_OVER } from './session/registry.ts';
export { acceptSession, FixSession, initiateSession } from './session/session.ts';
