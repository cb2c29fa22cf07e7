// Specs: each message type described once, property → tag, or property → group. `required` adds
// requirements beyond the dictionary's (which supplies each field's type, enumeration and required flag).
import type { TypedMsgType } from './types.ts';

interface GroupDecl {
  group: number;
  fields: Decl;
  required?: readonly string[];
}

export type Decl = { readonly [key: string]: number | GroupDecl };

const PARTIES: GroupDecl = { group: 453, fields: { partyID: 448, partyIDSource: 447, partyRole: 452 }, required: ['partyID'] };

export const HEADER: Decl = {
  senderCompID: 49, targetCompID: 56, onBehalfOfCompID: 115, deliverToCompID: 128, msgSeqNum: 34,
  senderSubID: 50, senderLocationID: 142, targetSubID: 57, targetLocationID: 143, onBehalfOfSubID: 116,
  deliverToSubID: 129, possDupFlag: 43, possResend: 97, sendingTime: 52, origSendingTime: 122,
  lastMsgSeqNumProcessed: 369,
};

export interface MessageDecl { fields: Decl; required?: readonly string[] }

const INSTRUMENT = { symbol: 55, securityID: 48, securityIDSource: 22 } as const;

export const SPECS: { readonly [T in TypedMsgType]: MessageDecl } = {
  A: {
    fields: {
      encryptMethod: 98, heartBtInt: 108, resetSeqNumFlag: 141, nextExpectedMsgSeqNum: 789, maxMessageSize: 383,
      msgTypes: { group: 384, fields: { refMsgType: 372, msgDirection: 385 }, required: ['refMsgType'] },
      testMessageIndicator: 464, username: 553, password: 554,
    },
  },
  '0': { fields: { testReqID: 112 } },
  '1': { fields: { testReqID: 112 } },
  '2': { fields: { beginSeqNo: 7, endSeqNo: 16 } },
  '3': { fields: { refSeqNum: 45, refTagID: 371, refMsgType: 372, sessionRejectReason: 373, text: 58 } },
  '4': { fields: { gapFillFlag: 123, newSeqNo: 36 } },
  '5': { fields: { text: 58 } },
  R: {
    fields: {
      quoteReqID: 131, rfqReqID: 644, clOrdID: 11, orderCapacity: 528,
      relatedSym: {
        group: 146,
        fields: {
          ...INSTRUMENT, securityType: 167, maturityDate: 541, quoteRequestType: 303, quoteType: 537,
          tradingSessionID: 336, side: 54, orderQty: 38, settlType: 63, settlDate: 64, settlDate2: 193,
          orderQty2: 192, currency: 15, account: 1, quotePriceType: 692, ordType: 40, validUntilTime: 62,
          expireTime: 126, transactTime: 60, price: 44, parties: PARTIES,
        },
        required: ['symbol'],
      },
      text: 58,
    },
  },
  S: {
    fields: {
      quoteReqID: 131, quoteID: 117, quoteRespID: 693, quoteType: 537, parties: PARTIES, ...INSTRUMENT,
      side: 54, orderQty: 38, settlType: 63, settlDate: 64, currency: 15, account: 1, bidPx: 132, offerPx: 133,
      bidSize: 134, offerSize: 135, validUntilTime: 62, bidSpotRate: 188, offerSpotRate: 190,
      bidForwardPoints: 189, offerForwardPoints: 191, transactTime: 60, ordType: 40, text: 58,
    },
    required: ['symbol'],
  },
  AG: {
    fields: {
      quoteReqID: 131, rfqReqID: 644, quoteRequestRejectReason: 658,
      relatedSym: {
        group: 146,
        fields: { ...INSTRUMENT, side: 54, orderQty: 38, settlDate: 64, currency: 15 },
        required: ['symbol'],
      },
      text: 58,
    },
  },
  AJ: {
    fields: {
      quoteRespID: 693, quoteID: 117, quoteRespType: 694, clOrdID: 11, parties: PARTIES, ...INSTRUMENT, side: 54,
      orderQty: 38, settlType: 63, settlDate: 64, currency: 15, account: 1, bidPx: 132, offerPx: 133, price: 44,
      validUntilTime: 62, transactTime: 60, ordType: 40, text: 58,
    },
    required: ['symbol'],
  },
  AI: {
    fields: {
      quoteStatusReqID: 649, quoteReqID: 131, quoteID: 117, quoteRespID: 693, quoteType: 537, parties: PARTIES,
      ...INSTRUMENT, side: 54, orderQty: 38, settlDate: 64, currency: 15, bidPx: 132, offerPx: 133,
      validUntilTime: 62, transactTime: 60, quoteStatus: 297, text: 58,
    },
    required: ['symbol'],
  },
  Z: {
    fields: {
      quoteReqID: 131, quoteID: 117, quoteCancelType: 298, quoteResponseLevel: 301, parties: PARTIES, account: 1,
      quoteEntries: { group: 295, fields: { ...INSTRUMENT }, required: ['symbol'] },
    },
  },
  '8': {
    fields: {
      orderID: 37, clOrdID: 11, quoteRespID: 693, parties: PARTIES, execID: 17, execType: 150, ordStatus: 39,
      ordRejReason: 103, account: 1, settlType: 63, settlDate: 64, ...INSTRUMENT, side: 54, orderQty: 38,
      ordType: 40, price: 44, currency: 15, lastQty: 32, lastPx: 31, leavesQty: 151, cumQty: 14, avgPx: 6,
      tradeDate: 75, transactTime: 60, text: 58,
    },
    required: ['symbol'],
  },
  AD: {
    fields: {
      tradeRequestID: 568, tradeRequestType: 569, subscriptionRequestType: 263, tradeReportID: 571, execID: 17,
      clOrdID: 11, parties: PARTIES, ...INSTRUMENT,
      dates: { group: 580, fields: { tradeDate: 75, transactTime: 60 } },
      side: 54, text: 58,
    },
  },
  AE: {
    fields: {
      tradeReportID: 571, tradeReportTransType: 487, tradeReportType: 856, tradeRequestID: 568, execType: 150,
      totNumTradeReports: 748, lastRptRequested: 912, previouslyReported: 570, execID: 17, ordStatus: 39,
      ...INSTRUMENT, lastQty: 32, lastPx: 31, tradeDate: 75, transactTime: 60, settlType: 63, settlDate: 64,
      sides: {
        group: 552,
        fields: { side: 54, orderID: 37, clOrdID: 11, parties: PARTIES, account: 1, currency: 15, text: 58 },
      },
    },
    required: ['symbol'],
  },
};

/** MsgTypes with a typed form. */
export function isTypedMsgType(msgType: string): msgType is TypedMsgType {
  return Object.prototype.hasOwnProperty.call(SPECS, msgType);
}
