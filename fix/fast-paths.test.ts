// The typed encoder's shortcuts (pre-rendered tags, cached fields, integer decimal formatting, slab output)
// must give exactly the bytes of the reference path, toFields() + encodeMessage(), which formats numbers with
// String(v) and checks every value afresh.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FixDecoder, type Field } from './codec.ts';
import { fix44Dictionary } from './dictionary/dictionary.ts';
import { TypedMessageError } from './errors.ts';
import {
  decodeTyped, encodeTyped, fromMessage, isTyped, toFields, TypedEncoder, typedOrRejection, type StandardHeader, type TypedMessage,
} from './messages.ts';
import { isTimestamp, validateMessage, type ValidateOptions } from './validate.ts';

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const ts = (): string => {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const frac = pick(['', `.${p(int(1000), 3)}`, `.${p(int(1e6), 6)}`, `.${p(int(1e9), 9)}`]);
    return `2026${p(1 + int(12))}${p(1 + int(28))}-${p(int(24))}:${p(int(60))}:${p(int(60))}${frac}`;
  };
  const date = (): string => `2026${String(1 + int(12)).padStart(2, '0')}${String(1 + int(28)).padStart(2, '0')}`;
  // Prices of every shape the fast decimal paths split on: small with few or many decimals, large,
  // negative, integral, and values with no short decimal form.
  const decimal = (): number => {
    switch (int(8)) {
      case 0: return Math.round(r() * 2 * 1e5) / 1e5;
      case 1: return Math.round(r() * 1999 * 1e6) / 1e6;
      case 2: return -Math.round(r() * 150 * 1e4) / 1e4;
      case 3: return Math.round(r() * 1e7);
      case 4: return Math.round(r() * 99999 * 1e10) / 1e10;
      case 5: return r() * 10 ** int(12);
      case 6: return pick([0, -0, 1999.999999, 2000, 2000.5, 99999.99999, 1e5, 1e15 + 0.5, 123456789.123, 1e-7, 1e-12, 1e20]);
      default: return Math.round(r() * 1e9) / 10 ** int(11);
    }
  };
  const qty = (): number => (r() < 0.5 ? pick([1e6, 2e6, 5e6, 2.5e6]) : decimal());
  const id = (p: string): string => `${p}-${int(1e6)}${r() < 0.1 ? '-Zürich' : ''}`;
  // Repeated values (the caches) as well as fresh ones.
  const sym = (): string => pick(['EUR/USD', 'GBP/USD', 'USD/JPY', `X${int(1000)}/Y`]);
  const party = (): { partyID: string; partyIDSource?: string; partyRole?: number } =>
    r() < 0.5 ? { partyID: id('P') } : { partyID: pick(['ACME', 'DESK-7']), partyIDSource: 'D', partyRole: pick([3, 11, 1]) };
  const opt = <T>(v: T): T | undefined => (r() < 0.6 ? v : undefined);
  const header = (): StandardHeader => ({
    senderCompID: pick(['PARLEY-CLIENT-0042', 'PARLEY-GW', id('C')]), targetCompID: pick(['PARLEY-GW', 'ISLD']),
    msgSeqNum: int(1e9), sendingTime: ts(), possDupFlag: opt(r() < 0.5), origSendingTime: opt(ts()),
    lastMsgSeqNumProcessed: opt(int(2 ** 40)),
  });
  const message = (): TypedMessage => {
    const s = sym();
    switch (int(7)) {
      case 0: return { msgType: '0', testReqID: opt(id('TR')) };
      case 1: return {
        msgType: 'R', quoteReqID: id('RFQ'), text: opt('free text ÿ'),
        relatedSym: Array.from({ length: 1 + int(3) }, () => ({
          symbol: sym(), securityID: opt(s.replace('/', '')), securityIDSource: opt('8'), side: opt(pick(['1', '2'])),
          orderQty: opt(qty()), settlType: opt(pick(['0', '1', '6'])), settlDate: opt(date()), currency: opt('EUR'),
          quoteType: opt(pick([0, 1])), transactTime: opt(ts()), price: opt(decimal()),
          parties: opt(Array.from({ length: int(3) }, party)),
        })),
      };
      case 2: return {
        msgType: 'S', quoteReqID: opt(id('RFQ')), quoteID: id('Q'), quoteType: opt(1), symbol: s, side: opt('1'),
        orderQty: opt(qty()), settlDate: opt(date()), currency: opt(pick(['EUR', 'USD'])), account: opt('ACC-1'),
        bidPx: opt(decimal()), offerPx: opt(decimal()), bidSize: opt(qty()), offerSize: opt(qty()),
        validUntilTime: opt(ts()), bidForwardPoints: opt(decimal()), transactTime: opt(ts()), parties: opt([party()]),
      };
      case 3: return {
        msgType: 'AJ', quoteRespID: id('QR'), quoteRespType: pick([1, 2]), symbol: s, price: opt(decimal()),
        orderQty: opt(qty()), side: opt('2'), transactTime: opt(ts()), ordType: opt('D'),
      };
      case 4: return {
        msgType: '8', orderID: id('O'), execID: id('E'), execType: pick(['F', '8', '0']), ordStatus: pick(['2', '8', '0']),
        symbol: s, side: pick(['1', '2']), leavesQty: qty(), cumQty: qty(), avgPx: decimal(), lastPx: opt(decimal()),
        lastQty: opt(qty()), ordRejReason: opt(pick([0, 99])), tradeDate: opt(date()),
      };
      case 5: return { msgType: '3', refSeqNum: int(1e6), refTagID: opt(int(1000)), sessionRejectReason: opt(pick([1, 5, 99])), text: opt('x') };
      default: return {
        msgType: 'A', encryptMethod: 0, heartBtInt: int(120), resetSeqNumFlag: opt(r() < 0.5),
        msgTypes: opt([{ refMsgType: 'R', msgDirection: pick(['S', 'R']) }]),
      };
    }
  };
  return { message, header };
}

// Optional properties left undefined must behave as absent; JSON round trip drops them for comparisons.
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('encodeTyped fast path', () => {
  it('writes exactly the bytes of toFields + encodeMessage over randomized messages', () => {
    const g = generator(20261121);
    for (let i = 0; i < 4000; i++) {
      const msg = g.message();
      const header = g.header();
      const fast = encodeTyped('FIX.4.4', msg, header);
      const ref = encodeMessage('FIX.4.4', toFields(msg, header));
      if (!fast.equals(ref)) {
        expect.fail(`message ${i}: ${fast.toString('latin1')} !== ${ref.toString('latin1')}`);
      }
      // And decoding gives the message back.
      const back = fromMessage(decodeMessage(fast));
      expect(plain({ ...back, header: undefined })).toEqual(plain(msg));
    }
  });

  it('still refuses a bad value after good values of the same field were cached', () => {
    const header: StandardHeader = { senderCompID: 'A', targetCompID: 'B', msgSeqNum: 1, sendingTime: '20261121-10:00:00' };
    const base = { msgType: 'AJ', quoteRespID: 'QR', quoteRespType: 1, symbol: 'EUR/USD', side: '1' } as const;
    for (let i = 0; i < 300; i++) encodeTyped('FIX.4.4', { ...base, side: i % 2 ? '1' : '2', quoteRespType: 1 + (i % 2) }, header);
    expect(() => encodeTyped('FIX.4.4', { ...base, side: 'Q' }, header)).toThrow(TypedMessageError);
    expect(() => encodeTyped('FIX.4.4', { ...base, quoteRespType: 77 }, header)).toThrow(TypedMessageError);
    expect(() => encodeTyped('FIX.4.4', { ...base, side: '11' }, header)).toThrow(TypedMessageError);
    expect(() => encodeTyped('FIX.4.4', { ...base, price: Number.NaN }, header)).toThrow();
    expect(() => encodeTyped('FIX.4.4', { ...base, transactTime: '20261121-25:00:00' }, header)).toThrow(TypedMessageError);
    expect(() => encodeTyped('FIX.4.4', { ...base, symbol: 'a\x01b' }, header)).toThrow(/SOH/);
    expect(() => encodeTyped('FIX.4.4', { ...base, symbol: 'EUR€' }, header)).toThrow(/Latin-1/);
    expect(() => encodeTyped('FIX.4.4', { ...base, side: 1 as unknown as string }, header)).toThrow(TypedMessageError);
    // The encoder is usable afterwards, and a good message is still byte-identical to the reference.
    const ok = { ...base, price: 1.0851 };
    expect(encodeTyped('FIX.4.4', ok, header).equals(encodeMessage('FIX.4.4', toFields(ok, header)))).toBe(true);
  });

  it('returns buffers that later encodes do not overwrite, across slab boundaries and for long messages', () => {
    const g = generator(7);
    const kept: [Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const msg = i % 500 === 0 ? { msgType: '5' as const, text: 'y'.repeat(100_000 + i) } : g.message();
      const header = g.header();
      const out = encodeTyped('FIX.4.4', msg, header);
      kept.push([out, Buffer.from(out)]);
    }
    for (const [view, copy] of kept) expect(view.equals(copy)).toBe(true);
  });
});

// A TypedEncoder kept across messages (as a session keeps one) uses its value caches and one slab for many
// messages: the same checks as above, through one.
describe('TypedEncoder kept across messages', () => {
  it('writes exactly the bytes of toFields + encodeMessage over randomized messages', () => {
    const g = generator(20261203);
    const encoder = new TypedEncoder();
    for (let i = 0; i < 4000; i++) {
      const msg = g.message();
      const header = g.header();
      const fast = encoder.encode('FIX.4.4', msg, header);
      const ref = encodeMessage('FIX.4.4', toFields(msg, header));
      if (!fast.equals(ref)) expect.fail(`message ${i}: ${fast.toString('latin1')} !== ${ref.toString('latin1')}`);
      expect(encodeTyped('FIX.4.4', msg, header, encoder).equals(ref)).toBe(true);
    }
  });

  it('still refuses a bad value after good values of the same field were cached', () => {
    const encoder = new TypedEncoder();
    const header: StandardHeader = { senderCompID: 'A', targetCompID: 'B', msgSeqNum: 1, sendingTime: '20261121-10:00:00' };
    const base = { msgType: 'AJ', quoteRespID: 'QR', quoteRespType: 1, symbol: 'EUR/USD', side: '1' } as const;
    for (let i = 0; i < 300; i++) encoder.encode('FIX.4.4', { ...base, side: i % 2 ? '1' : '2', quoteRespType: 1 + (i % 2) }, header);
    expect(() => encoder.encode('FIX.4.4', { ...base, side: 'Q' }, header)).toThrow(TypedMessageError);
    expect(() => encoder.encode('FIX.4.4', { ...base, quoteRespType: 77 }, header)).toThrow(TypedMessageError);
    expect(() => encoder.encode('FIX.4.4', { ...base, side: '11' }, header)).toThrow(TypedMessageError);
    expect(() => encoder.encode('FIX.4.4', { ...base, price: Number.NaN }, header)).toThrow();
    expect(() => encoder.encode('FIX.4.4', { ...base, transactTime: '20261121-25:00:00' }, header)).toThrow(TypedMessageError);
    expect(() => encoder.encode('FIX.4.4', { ...base, symbol: 'a\x01b' }, header)).toThrow(/SOH/);
    expect(() => encoder.encode('FIX.4.4', { ...base, symbol: 'EUR€' }, header)).toThrow(/Latin-1/);
    expect(() => encoder.encode('FIX.4.4', { ...base, side: 1 as unknown as string }, header)).toThrow(TypedMessageError);
    const ok = { ...base, price: 1.0851 };
    expect(encoder.encode('FIX.4.4', ok, header).equals(encodeMessage('FIX.4.4', toFields(ok, header)))).toBe(true);
  });

  it('returns buffers that later encodes do not overwrite, across slab boundaries and for long messages', () => {
    const g = generator(8);
    const encoder = new TypedEncoder();
    const kept: [Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const msg = i % 500 === 0 ? { msgType: '5' as const, text: 'y'.repeat(100_000 + i) } : g.message();
      const out = encoder.encode('FIX.4.4', msg, g.header());
      kept.push([out, Buffer.from(out)]);
    }
    for (const [view, copy] of kept) expect(view.equals(copy)).toBe(true);
  });

  it('is re-entrant across encoders: a value getter that encodes with another encoder leaves both messages intact', () => {
    const g = generator(9);
    const outer = new TypedEncoder();
    const inner = new TypedEncoder();
    const header: StandardHeader = { senderCompID: 'A', targetCompID: 'B', msgSeqNum: 7, sendingTime: '20261121-10:00:00' };
    for (let i = 0; i < 200; i++) {
      const innerMsg = g.message();
      const innerHeader = g.header();
      let innerBytes: Buffer | undefined;
      // The getter runs in the middle of the outer message (after 35, the header and quoteRespID).
      const msg = {
        msgType: 'AJ', quoteRespID: `QR-${i}`, quoteRespType: 1,
        get symbol(): string { innerBytes = inner.encode('FIX.4.4', innerMsg, innerHeader); return 'EUR/USD'; },
        side: '1', price: 1.0851 + i / 1e4,
      } as TypedMessage;
      const outerBytes = outer.encode('FIX.4.4', msg, header);
      const plainMsg = { msgType: 'AJ', quoteRespID: `QR-${i}`, quoteRespType: 1, symbol: 'EUR/USD', side: '1', price: 1.0851 + i / 1e4 } as TypedMessage;
      expect(outerBytes.equals(encodeMessage('FIX.4.4', toFields(plainMsg, header)))).toBe(true);
      expect(innerBytes!.equals(encodeMessage('FIX.4.4', toFields(innerMsg, innerHeader)))).toBe(true);
    }
    // One encoder cannot be entered from inside its own message: refused, and usable afterwards.
    const selfMsg = { msgType: 'AJ', quoteRespID: 'QR', quoteRespType: 1, get symbol(): string { outer.encode('FIX.4.4', { msgType: '0' }, header); return 'X'; } } as TypedMessage;
    expect(() => outer.encode('FIX.4.4', selfMsg, header)).toThrow(/re-entered/);
    expect(outer.encode('FIX.4.4', { msgType: '0' }, header).equals(encodeMessage('FIX.4.4', toFields({ msgType: '0' }, header)))).toBe(true);
  });
});

// The one-pass typed reader must agree with validateMessage + fromMessage({ validated: true }) on every
// message: same rejection, same typed object, or the same error.
describe('decodeTyped / typedOrRejection one-pass reader', () => {
  const dict = fix44Dictionary();
  type Outcome = { kind: 'typed'; value: unknown } | { kind: 'reject'; value: unknown } | { kind: 'error'; value: string };
  const reference = (bytes: Buffer, opts?: ValidateOptions): Outcome => {
    try {
      const m = decodeMessage(bytes);
      const rej = validateMessage(m, dict, opts);
      if (rej !== null) return { kind: 'reject', value: rej };
      return { kind: 'typed', value: fromMessage(m, { validated: true }) };
    } catch (e) {
      return { kind: 'error', value: `${(e as Error).name}: ${(e as Error).message}` };
    }
  };
  const viaFast = (f: () => ReturnType<typeof decodeTyped>): Outcome => {
    try {
      const r = f();
      return isTyped(r) ? { kind: 'typed', value: r } : { kind: 'reject', value: r };
    } catch (e) {
      return { kind: 'error', value: `${(e as Error).name}: ${(e as Error).message}` };
    }
  };

  /** Mutations of a valid message's fields: what a broken or hostile peer sends. */
  function mutate(fields: Field[], r: () => number): Field[] {
    const f = fields.map((x) => ({ ...x }));
    const at = (): number => 1 + Math.floor(r() * (f.length - 1)); // never MsgType itself
    const junk = ['', 'X', '-1', '1.5', '0', '99', '20261399-25:61:00', 'Y', 'N', 'abc def', '00', '1e5', '.', '-'];
    const tags = [1, 11, 15, 22, 38, 44, 48, 49, 52, 54, 55, 56, 58, 60, 62, 64, 97, 117, 131, 146, 336, 447, 448, 452, 453,
      454, 802, 9999, 5001, 627, 93, 34, 43];
    switch (Math.floor(r() * 8)) {
      case 0: f.splice(at(), 1); break;
      case 1: { const i = at(); f.splice(i, 0, { ...f[i]! }); break; }
      case 2: { const i = at(); if (i + 1 < f.length) [f[i], f[i + 1]] = [f[i + 1]!, f[i]!]; break; }
      case 3: f[at()]!.value = junk[Math.floor(r() * junk.length)]!; break;
      case 4: f.splice(at(), 0, { tag: tags[Math.floor(r() * tags.length)]!, value: junk[Math.floor(r() * junk.length)]! || 'V' }); break;
      case 5: { // group counts
        const i = f.findIndex((x) => x.tag === 146 || x.tag === 453 || x.tag === 384);
        if (i >= 0) f[i]!.value = String(Math.floor(r() * 4));
        break;
      }
      case 6: { const i = at(); const j = at(); const [x] = f.splice(i, 1); f.splice(j, 0, x!); break; }
      default: break; // unchanged
    }
    return f;
  }

  it('agrees with validateMessage + fromMessage on valid and mutated messages', () => {
    const g = generator(4242);
    const decoder = new FixDecoder(); // kept across messages, as a session keeps one
    const r = rng(99);
    let typed = 0, rejected = 0, errors = 0;
    for (let i = 0; i < 6000; i++) {
      const fields = toFields(g.message(), g.header());
      const bytes = encodeMessage('FIX.4.4', i % 4 === 0 ? fields : mutate(fields, r));
      const want = reference(bytes);
      const got = viaFast(() => decodeTyped(bytes, dict));
      expect(got, bytes.toString('latin1').replaceAll('\x01', '|')).toEqual(want);
      expect(viaFast(() => decodeTyped(bytes, dict, undefined, decoder))).toEqual(want);
      const got2 = viaFast(() => typedOrRejection(decodeMessage(bytes), dict));
      expect(got2).toEqual(want);
      // Options equal to the defaults take the one-pass reader too; others the two-step path.
      expect(viaFast(() => decodeTyped(bytes, dict, { validate: { checkFieldsHaveValues: true, checkRequiredFields: true } }))).toEqual(want);
      const lax: ValidateOptions = i % 2 === 0 ? { checkFieldsHaveValues: false } : { allowUnknownMessageFields: true, checkFieldsOutOfOrder: false };
      expect(viaFast(() => typedOrRejection(decodeMessage(bytes), dict, lax))).toEqual(reference(bytes, lax));
      if (want.kind === 'typed') typed++; else if (want.kind === 'reject') rejected++; else errors++;
    }
    // The corpus exercises all three outcomes.
    expect(typed).toBeGreaterThan(1500);
    expect(rejected).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(10);
  });

  it('agrees on garbage, truncated and oversized input, and on bytes given as a plain Uint8Array', () => {
    const g = generator(77);
    const decoder = new FixDecoder();
    const r = rng(78);
    for (let i = 0; i < 2000; i++) {
      const good = encodeTyped('FIX.4.4', g.message(), g.header());
      let bytes: Buffer;
      switch (i % 4) {
        case 0: bytes = good.subarray(0, Math.floor(r() * good.length)); break;
        case 1: bytes = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256))); break;
        case 2: { bytes = Buffer.from(good); bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256); break; }
        default: bytes = Buffer.concat([good, good.subarray(0, Math.floor(r() * 40))]);
      }
      const want = reference(bytes);
      expect(viaFast(() => decodeTyped(bytes, dict))).toEqual(want);
      expect(viaFast(() => decodeTyped(new Uint8Array(bytes), dict))).toEqual(want);
      expect(viaFast(() => decodeTyped(bytes, dict, undefined, decoder))).toEqual(want);
    }
    const big = encodeTyped('FIX.4.4', { msgType: '5', text: 'z'.repeat(200_000) }, { senderCompID: 'A', targetCompID: 'B', msgSeqNum: 1, sendingTime: '20261121-10:00:00' });
    expect(viaFast(() => decodeTyped(big, dict))).toEqual(reference(big));
  });

  it('falls back for options and other dictionaries, and throws framing errors as decodeMessage does', () => {
    const bytes = encodeTyped('FIX.4.4', { msgType: '0', testReqID: 'T' }, { senderCompID: 'A', targetCompID: 'B', msgSeqNum: 1, sendingTime: '20261121-10:00:00' });
    const r = decodeTyped(bytes, dict, { validate: { checkFieldsHaveValues: false } });
    expect(isTyped(r) && r.msgType).toBe('0');
    const bad = Buffer.from(bytes);
    bad[bad.length - 2] = 0x30 + ((bad[bad.length - 2]! - 0x30 + 1) % 10);
    expect(() => decodeTyped(bad, dict)).toThrow(/CheckSum/);
    expect(() => decodeTyped(bytes.subarray(0, 20), dict)).toThrow();
  });
});

describe('isTimestamp', () => {
  // The rule, spelled out: YYYYMMDD-HH:MM:SS[.f{1,9}], month 1-12, day 1-31, hour <= 23, minute <= 59, second <= 60.
  const reference = (t: string): boolean => {
    const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/.exec(t);
    if (m === null) return false;
    const [mo, d, h, mi, s] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
  };
  it('agrees with the rule on valid, edge and mangled timestamps', () => {
    const r = rng(5);
    const chars = '0123456789-:. /aZ\x00\xff';
    const base = ['20261121-10:00:00', '20261121-10:00:00.1', '20261121-10:00:00.123456789', '20261231-23:59:60.000',
      '00000101-00:00:00', '20261300-10:00:00', '20261121-24:00:00', '20261121-10:60:00', '20261121-10:00:61',
      '20261121-10:00:00.', '20261121-10:00:00.1234567890', '20261121 10:00:00', '2026112-10:00:00', '20261121-10:00:00Z'];
    const cases = [...base];
    for (let i = 0; i < 20000; i++) {
      const b = base[Math.floor(r() * base.length)]!.split('');
      const k = Math.floor(r() * (b.length + 1));
      const op = Math.floor(r() * 3);
      const c = chars[Math.floor(r() * chars.length)]!;
      if (op === 0) b[k] = c; else if (op === 1) b.splice(k, 0, c); else b.splice(k, 1);
      cases.push(b.join(''));
    }
    for (const t of cases) {
      const buf = Buffer.from(`x${t}y`, 'latin1');
      expect(isTimestamp(buf, 1, 1 + t.length), JSON.stringify(t)).toBe(reference(t));
    }
  });
});
