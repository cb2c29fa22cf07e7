// The typed messages: the session messages and Parley's RFQ flow as TypeScript types. Numbers (INT, SEQNUM,
// QTY, PRICE, AMT, ...) are JS numbers, BOOLEAN is boolean, everything else (CHAR, enumerations, timestamps,
// dates) stays the FIX string.

export interface StandardHeader {
  senderCompID: string;
  targetCompID: string;
  msgSeqNum: number;
  sendingTime: string;
  onBehalfOfCompID?: string;
  deliverToCompID?: string;
  senderSubID?: string;
  senderLocationID?: string;
  targetSubID?: string;
  targetLocationID?: string;
  onBehalfOfSubID?: string;
  deliverToSubID?: string;
  possDupFlag?: boolean;
  possResend?: boolean;
  origSendingTime?: string;
  lastMsgSeqNumProcessed?: number;
}

interface Base<T extends string> {
  msgType: T;
  /** Present on decoded messages; on outgoing ones the session usually supplies it to toFields(). */
  header?: StandardHeader;
}

export interface Party {
  partyID: string;
  partyIDSource?: string;
  partyRole?: number;
}

export interface Logon extends Base<'A'> {
  encryptMethod: number;
  heartBtInt: number;
  resetSeqNumFlag?: boolean;
  nextExpectedMsgSeqNum?: number;
  maxMessageSize?: number;
  msgTypes?: { refMsgType: string; msgDirection?: string }[];
  testMessageIndicator?: boolean;
  username?: string;
  password?: string;
}

export interface Heartbeat extends Base<'0'> { testReqID?: string }

export interface TestRequest extends Base<'1'> { testReqID: string }

export interface ResendRequest extends Base<'2'> { beginSeqNo: number; endSeqNo: number }

export interface Reject extends Base<'3'> {
  refSeqNum: number;
  refTagID?: number;
  refMsgType?: string;
  sessionRejectReason?: number;
  text?: string;
}

export interface SequenceReset extends Base<'4'> { gapFillFlag?: boolean; newSeqNo: number }

export interface Logout extends Base<'5'> { text?: string }

export interface RelatedSym {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  securityType?: string;
  maturityDate?: string;
  quoteRequestType?: number;
  quoteType?: number;
  tradingSessionID?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  settlDate2?: string;
  orderQty2?: number;
  currency?: string;
  account?: string;
  quotePriceType?: number;
  ordType?: string;
  validUntilTime?: string;
  expireTime?: string;
  transactTime?: string;
  price?: number;
  parties?: Party[];
}

export interface QuoteRequest extends Base<'R'> {
  quoteReqID: string;
  rfqReqID?: string;
  clOrdID?: string;
  orderCapacity?: string;
  relatedSym: RelatedSym[];
  text?: string;
}

export interface Quote extends Base<'S'> {
  quoteReqID?: string;
  quoteID: string;
  quoteRespID?: string;
  quoteType?: number;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  currency?: string;
  account?: string;
  bidPx?: number;
  offerPx?: number;
  bidSize?: number;
  offerSize?: number;
  validUntilTime?: string;
  bidSpotRate?: number;
  offerSpotRate?: number;
  bidForwardPoints?: number;
  offerForwardPoints?: number;
  transactTime?: string;
  ordType?: string;
  text?: string;
}

export interface RejectedSym {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlDate?: string;
  currency?: string;
}

export interface QuoteRequestReject extends Base<'AG'> {
  quoteReqID: string;
  rfqReqID?: string;
  quoteRequestRejectReason: number;
  relatedSym: RejectedSym[];
  text?: string;
}

export interface QuoteResponse extends Base<'AJ'> {
  quoteRespID: string;
  quoteID?: string;
  quoteRespType: number;
  clOrdID?: string;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  currency?: string;
  account?: string;
  bidPx?: number;
  offerPx?: number;
  price?: number;
  validUntilTime?: string;
  transactTime?: string;
  ordType?: string;
  text?: string;
}

export interface QuoteStatusReport extends Base<'AI'> {
  quoteStatusReqID?: string;
  quoteReqID?: string;
  quoteID: string;
  quoteRespID?: string;
  quoteType?: number;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlDate?: string;
  currency?: string;
  bidPx?: number;
  offerPx?: number;
  validUntilTime?: string;
  transactTime?: string;
  quoteStatus?: number;
  text?: string;
}

export interface QuoteEntry {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
}

export interface QuoteCancel extends Base<'Z'> {
  quoteReqID?: string;
  quoteID: string;
  quoteCancelType: number;
  quoteResponseLevel?: number;
  parties?: Party[];
  account?: string;
  quoteEntries?: QuoteEntry[];
}

export interface ExecutionReport extends Base<'8'> {
  orderID: string;
  clOrdID?: string;
  quoteRespID?: string;
  parties?: Party[];
  execID: string;
  execType: string;
  ordStatus: string;
  ordRejReason?: number;
  account?: string;
  settlType?: string;
  settlDate?: string;
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side: string;
  orderQty?: number;
  ordType?: string;
  price?: number;
  currency?: string;
  lastQty?: number;
  lastPx?: number;
  leavesQty: number;
  cumQty: number;
  avgPx: number;
  tradeDate?: string;
  transactTime?: string;
  text?: string;
}

export interface TradeCaptureDate { tradeDate?: string; transactTime?: string }

export interface TradeCaptureReportRequest extends Base<'AD'> {
  tradeRequestID: string;
  tradeRequestType: number;
  subscriptionRequestType?: string;
  tradeReportID?: string;
  execID?: string;
  clOrdID?: string;
  parties?: Party[];
  symbol?: string;
  securityID?: string;
  securityIDSource?: string;
  dates?: TradeCaptureDate[];
  side?: string;
  text?: string;
}

export interface TradeSide {
  side: string;
  orderID: string;
  clOrdID?: string;
  parties?: Party[];
  account?: string;
  currency?: string;
  text?: string;
}

export interface TradeCaptureReport extends Base<'AE'> {
  tradeReportID: string;
  tradeReportTransType?: number;
  tradeReportType?: number;
  tradeRequestID?: string;
  execType?: string;
  totNumTradeReports?: number;
  lastRptRequested?: boolean;
  previouslyReported: boolean;
  execID?: string;
  ordStatus?: string;
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  lastQty: number;
  lastPx: number;
  tradeDate: string;
  transactTime?: string;
  settlType?: string;
  settlDate?: string;
  sides: TradeSide[];
}

export type SessionMessage = Logon | Heartbeat | TestRequest | ResendRequest | Reject | SequenceReset | Logout;

export type RfqMessage =
  | QuoteRequest | Quote | QuoteRequestReject | QuoteResponse | QuoteStatusReport | QuoteCancel
  | ExecutionReport | TradeCaptureReportRequest | TradeCaptureReport;

export type TypedMessage = SessionMessage | RfqMessage;

export type TypedMsgType = TypedMessage['msgType'];

export type MessageOf<T extends TypedMsgType> = Extract<TypedMessage, { msgType: T }>;
