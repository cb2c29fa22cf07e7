// Typed FIX 4.4 messages: the session messages and Parley's RFQ flow. Each message type is described once by
// a spec (property → tag, groups nested); the spec is compiled against the dictionary, which supplies each
// field's type, enumeration and required flag, and drives both directions. The parts, by concern:
//   messages/types.ts          the message types
//   messages/specs.ts          property → tag per message type
//   messages/compiled.ts       the compiled form; messages/compile.ts compiles it and generates code per spec
//   messages/field-readers.ts  value converters for decoding; messages/decoder.ts fromMessage, decodeTyped
//   messages/field-writers.ts  value writers for encoding;   messages/encoder.ts TypedEncoder, toFields
// This module is their public face.
export type {
  ExecutionReport, Heartbeat, Logon, Logout, MessageOf, Party, Quote, QuoteCancel, QuoteEntry, QuoteRequest, QuoteRequestReject,
  QuoteResponse, QuoteStatusReport, Reject, RejectedSym, RelatedSym, ResendRequest, RfqMessage, SequenceReset, SessionMessage,
  StandardHeader, TestRequest, TradeCaptureDate, TradeCaptureReport, TradeCaptureReportRequest, TradeSide, TypedMessage, TypedMsgType,
} from './messages/types.ts';
export { isTypedMsgType } from './messages/specs.ts';
export {
  decodeTyped, fromMessage, fromMessageAs, isTyped, typedOrRejection, type FromMessageOptions,
} from './messages/decoder.ts';
export { encodeTyped, toFields, toFixMessage, TypedEncoder } from './messages/encoder.ts';
