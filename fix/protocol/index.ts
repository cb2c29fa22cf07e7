/**
 * Parley's application protocol, typed: one writer (domain values → Field[] body) and one reader (FixMessage →
 * ReadResult) per message of the RFQ flow, shared by the client (main/) and the gateway. Tag numbers and
 * MsgTypes come from the generated fix/dictionary/tags.ts. fix/parley-protocol.ts re-exports Parley's own
 * messages under their historical names, with the extended dictionary. docs/protocol.md describes each message.
 */
export { MsgType, Tag } from '../dictionary/tags.ts';
export * from './business-reject.ts';
export * from './dealer-list.ts';
export * from './decision.ts';
export * from './execution.ts';
export * from './group.ts';
export * from './key-registration.ts';
export * from './logon.ts';
export * from './parley-requests.ts';
export * from './quote-request.ts';
export * from './quote-status.ts';
export * from './quote.ts';
export * from './result.ts';
export * from './security-list.ts';
export * from './security-status.ts';
export * from './session-status.ts';
export * from './step-up.ts';
export * from './time.ts';
export * from './trade-capture.ts';
export * from './values.ts';
