/**
 * Reference data: SecurityListRequest(x, client → gateway, SecurityListRequestType 4 all securities) and
 * SecurityList(y, gateway → client; also sent unasked after Logon) with one NoRelatedSym(146) entry per
 * instrument.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { readGroup } from './group.ts';
import { ok, type ReadResult } from './result.ts';
import { id, safeText } from './values.ts';

const ALL_SECURITIES = '4';

export interface SecurityListRequestMsg { reqId: string }

export function writeSecurityListRequest(r: SecurityListRequestMsg): Field[] {
  return [
    { tag: Tag.SecurityReqID, value: r.reqId },
    { tag: Tag.SecurityListRequestType, value: ALL_SECURITIES },
  ];
}

/** The gateway answers any request with the whole list; a missing id is answered as 'REQ'. */
export function readSecurityListRequest(m: FixMessage): ReadResult<SecurityListRequestMsg> {
  return ok({ reqId: (m.get(Tag.SecurityReqID) ?? 'REQ').slice(0, 64) });
}

export interface ListedInstrument { symbol: string; description?: string; currency?: string }

export interface SecurityListMsg { reqId: string; instruments: ListedInstrument[] }

export function writeSecurityList(l: SecurityListMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.SecurityReqID, value: l.reqId },
    { tag: Tag.SecurityResponseID, value: `SL-${l.reqId}` },
    // SecurityRequestResult(560) 0: valid request.
    { tag: Tag.SecurityRequestResult, value: '0' },
    { tag: Tag.TotNoRelatedSym, value: String(l.instruments.length) },
    { tag: Tag.LastFragment, value: 'Y' },
    { tag: Tag.NoRelatedSym, value: String(l.instruments.length) },
  ];
  for (const i of l.instruments) {
    f.push({ tag: Tag.Symbol, value: i.symbol });
    if (i.description) f.push({ tag: Tag.SecurityDesc, value: safeText(i.description, 128) });
    if (i.currency) f.push({ tag: Tag.Currency, value: i.currency });
  }
  return f;
}

/** Instruments the client can trust (an identifier symbol, a 3-letter currency); others are dropped. */
export function readSecurityList(m: FixMessage): ReadResult<SecurityListMsg> {
  // The unasked list after Logon answers no request: its id is informative only.
  const reqId = m.get(Tag.SecurityReqID) ?? '';
  const instruments: ListedInstrument[] = [];
  for (const g of readGroup(m, Tag.NoRelatedSym, Tag.Symbol, [Tag.Symbol, Tag.SecurityDesc, Tag.Currency])) {
    const symbol = id(g.get(Tag.Symbol));
    if (!symbol) continue;
    const i: ListedInstrument = { symbol };
    const desc = g.get(Tag.SecurityDesc);
    if (desc) i.description = desc.slice(0, 200);
    const ccy = g.get(Tag.Currency);
    if (ccy && /^[A-Z]{3}$/.test(ccy)) i.currency = ccy;
    instruments.push(i);
  }
  return ok({ reqId: reqId.slice(0, 64), instruments });
}
