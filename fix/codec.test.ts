import { describe, expect, it } from 'vitest';
import {
  DATA_FIELD_LENGTH_TAG, decodeMessage, encodeFixMessage, encodeMessage, FixDecoder, FixEncoder, FixMessage, SOH, checksum, type Field,
} from './codec.ts';
import { fix44Dictionary } from './dictionary/dictionary.ts';
import { EncodeError, GarbledMessageError, UnexpectedBeginStringError } from './errors.ts';

/** "8=FIX.4.4|9=..|..." with | for SOH → bytes. */
const wire = (s: string): Buffer => Buffer.from(s.replaceAll('|', '\x01'), 'latin1');
const show = (b: Uint8Array): string => Buffer.from(b).toString('latin1').replaceAll('\x01', '|');
const fields = (s: string): Field[] =>
  s.split('|').filter(Boolean).map((f) => {
    const i = f.indexOf('=');
    return { tag: Number(f.slice(0, i)), value: f.slice(i + 1) };
  });

/** Builds a message with correct BodyLength and CheckSum from a body written as text. */
function frame(body: string, begin = 'FIX.4.4'): string {
  const b = body.replaceAll('|', '\x01');
  const head = `8=${begin}\x019=${b.length}\x01`;
  const sum = checksum(Buffer.from(head + b, 'latin1'));
  return `${head}${b}10=${String(sum).padStart(3, '0')}\x01`.replaceAll('\x01', '|');
}

function garbledKind(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(GarbledMessageError);
    return (e as GarbledMessageError).kind;
  }
  return 'decoded';
}

const HEARTBEAT = '35=0|49=TW|56=ISLD|34=2|52=20261121-10:00:00.000|';

describe('encodeMessage', () => {
  it('computes BodyLength and CheckSum', () => {
    const out = encodeMessage('FIX.4.4', fields(HEARTBEAT));
    expect(show(out)).toBe(frame(HEARTBEAT));
    // The classic example: sum of all bytes before 10= modulo 256.
    const text = show(out);
    const body = text.slice(text.indexOf('35='), text.indexOf('10='));
    expect(Number(text.match(/\|9=(\d+)\|/)![1])).toBe(body.length);
    const sum = [...Buffer.from(text.slice(0, text.indexOf('10=')).replaceAll('|', '\x01'), 'latin1')].reduce((a, c) => a + c, 0) % 256;
    expect(Number(text.slice(text.indexOf('10=') + 3, -1))).toBe(sum);
  });

  it('pads the checksum to three digits and handles long bodies and long values', () => {
    const long = 'x'.repeat(70_000);
    const out = encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 58, value: long }]);
    const m = decodeMessage(out);
    expect(m.get(58)).toBe(long);
    expect(show(out)).toMatch(/\|10=\d{3}\|$/);
  });

  it('refuses 8, 9 or 10 in the body: it writes them itself', () => {
    for (const tag of [8, 9, 10]) {
      expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag, value: '1' }])).toThrow(/writes BeginString/);
    }
    // And the encoder is usable again afterwards.
    expect(decodeMessage(encodeMessage('FIX.4.4', fields(HEARTBEAT))).msgType).toBe('0');
  });

  it('refuses SOH inside a value, non-Latin-1 text and non-integer tags', () => {
    expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 58, value: 'a\x01b' }])).toThrow(EncodeError);
    expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 58, value: 'x'.repeat(40) + '\x01' }])).toThrow(/SOH/);
    expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 58, value: 'Zürich €' }])).toThrow(/Latin-1/);
    expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 1.5, value: 'x' }])).toThrow(/invalid tag/);
    expect(() => encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: Number.NaN, value: 'x' }])).toThrow(EncodeError);
  });

  it('writes Latin-1 values byte for byte, and SOH inside data fields', () => {
    const out = encodeMessage('FIX.4.4', [{ tag: 35, value: 'B' }, { tag: 58, value: 'Zürich' }, { tag: 354, value: '3' }, { tag: 355, value: 'a\x01b' }]);
    const m = decodeMessage(out);
    expect(m.get(58)).toBe('Zürich');
    expect(m.get(355)).toBe('a\x01b');
  });

  it('writes tags 0 and below, so test tools can send them', () => {
    const out = encodeMessage('FIX.4.4', [{ tag: 35, value: '0' }, { tag: 0, value: 'HI' }, { tag: -1, value: 'HI' }]);
    expect(show(out)).toContain('|0=HI|-1=HI|');
    expect(decodeMessage(out).fields.map((f) => f.tag)).toEqual([8, 9, 35, 0, -1, 10]);
  });

  it('re-encodes a FixMessage, recomputing 8/9/10', () => {
    const m = new FixMessage(fields('8=FIX.4.4|9=999|' + HEARTBEAT + '10=000|'));
    expect(show(encodeFixMessage(m))).toBe(frame(HEARTBEAT));
    expect(() => encodeFixMessage(new FixMessage(fields(HEARTBEAT)))).toThrow(/BeginString/);
  });
});

/** The bytes as text, or the error's name and message. */
const outcomeOf = (f: () => Buffer): string => { try { return show(f()); } catch (err) { return `${(err as Error).name}: ${(err as Error).message}`; } };

describe('FixEncoder', () => {
  const body = (i: number): Field[] => [
    { tag: 35, value: 'S' }, { tag: 49, value: `SENDER-${i}` }, { tag: 56, value: 'ISLD' }, { tag: 34, value: String(i) },
    { tag: 117, value: `Q-${i}-${'x'.repeat(i % 7)}` }, { tag: 132, value: String(1.08 + i / 1e5) }, { tag: 38, value: String(1e6 * (1 + (i % 3))) },
  ];

  it('two encoders interleaved field by field each produce their own correct messages', () => {
    const a = new FixEncoder();
    const b = new FixEncoder(256); // a small first slab: b moves to a bigger one mid-message
    const kept: [Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const fa = body(i), fb = body(i + 1_000_000);
      a.begin();
      b.begin();
      for (let k = 0; k < fa.length; k++) {
        a.writeString(fa[k]!.tag, fa[k]!.value);
        b.writeString(fb[k]!.tag, fb[k]!.value);
      }
      const outB = b.finish('FIX.4.2');
      const outA = a.finish('FIX.4.4');
      expect(show(outA)).toBe(show(encodeMessage('FIX.4.4', fa)));
      expect(show(outB)).toBe(show(encodeMessage('FIX.4.2', fb)));
      kept.push([outA, Buffer.from(outA)], [outB, Buffer.from(outB)]);
    }
    // Later messages never overwrite earlier ones (new slabs, not reuse).
    for (const [view, copy] of kept) expect(view.equals(copy)).toBe(true);
  });

  it('gives the same bytes and the same errors with and without an encoder', () => {
    const e = new FixEncoder(128);
    let seed = 17;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const chars = 'abcXYZ019 -.:/|ü\u00ff\u0000';
    for (let i = 0; i < 3000; i++) {
      const body: Field[] = [{ tag: 35, value: 'B' }];
      for (let k = rand(12); k > 0; k--) {
        const tag = [0, -1, 1, 58, 354, 355, 999_999_999, 1.5, 9, 10][rand(10)]!;
        const value = Array.from({ length: rand(i % 100 === 0 ? 5000 : 30) }, () => chars[rand(chars.length)]!).join('')
          + (rand(20) === 0 ? '\x01' : rand(20) === 0 ? '€' : '');
        body.push({ tag, value });
      }
      expect(outcomeOf(() => encodeMessage('FIX.4.4', body))).toBe(outcomeOf(() => encodeMessage('FIX.4.4', body, e)));
    }
    expect(outcomeOf(() => encodeMessage('F\x01X', fields(HEARTBEAT)))).toBe(outcomeOf(() => encodeMessage('F\x01X', fields(HEARTBEAT), e)));
    expect(outcomeOf(() => encodeMessage('X'.repeat(60), fields(HEARTBEAT)))).toBe(outcomeOf(() => encodeMessage('X'.repeat(60), fields(HEARTBEAT), e)));
  });

  it('writes integers and decimals as the text encodeMessage writes', () => {
    const e = new FixEncoder();
    const values = [0, -0, 1, -1, 9, 10, 99, 100, 12345, 2 ** 31, 2 ** 53 - 1, 1.5, -2.25, 1.08515, 0.000001, 1999.999999, 12345.6789, 1e15 + 0.5, 1e20, 1e-7];
    for (const v of values) {
      e.begin();
      e.writeString(35, '0');
      if (Number.isSafeInteger(v)) {
        e.writeInt(34, v);
      }
      e.writeDecimal(44, v);
      e.writeString(58, 'free text');
      const out = e.finish('FIX.4.4');
      const text = (x: number): string => (Object.is(x, -0) ? '0' : x === 1e20 ? '100000000000000000000' : x === 1e-7 ? '0.0000001' : String(x));
      const want: Field[] = [{ tag: 35, value: '0' }];
      if (Number.isSafeInteger(v)) want.push({ tag: 34, value: text(v) });
      want.push({ tag: 44, value: text(v) }, { tag: 58, value: 'free text' });
      expect(show(out), String(v)).toBe(show(encodeMessage('FIX.4.4', want)));
    }
  });

  it('refuses to be re-entered, refuses bad values, and is usable after abort()', () => {
    const e = new FixEncoder();
    e.begin();
    expect(() => e.begin()).toThrow(/re-entered/);
    e.abort();
    e.begin();
    expect(() => e.writeString(58, 'a\x01b')).toThrow(/SOH/);
    e.abort();
    e.begin();
    expect(() => e.writeString(58, 'EUR€')).toThrow(/not Latin-1/);
    e.abort();
    e.begin();
    expect(() => e.writeInt(34, 1.5)).toThrow(/integer/);
    e.abort();
    e.begin();
    expect(() => e.writeDecimal(44, Number.POSITIVE_INFINITY)).toThrow(/finite/);
    e.abort();
    expect(show(encodeMessage('FIX.4.4', fields(HEARTBEAT), e))).toBe(frame(HEARTBEAT));
  });
});

describe('decodeMessage', () => {
  it('decodes fields in wire order with accessors', () => {
    const bytes = wire(frame('35=R|49=A|56=B|34=12|52=20261121-10:00:00|131=Q1|146=2|55=EUR/USD|55=GBP/USD|'));
    const m = decodeMessage(bytes);
    expect(m.msgType).toBe('R');
    expect(m.seqNum).toBe(12);
    expect(m.get(55)).toBe('EUR/USD');
    expect(m.getAll(55)).toEqual(['EUR/USD', 'GBP/USD']);
    expect(m.has(131)).toBe(true);
    expect(m.has(132)).toBe(false);
    expect(m.get(132)).toBeUndefined();
    expect(m.getInt(146)).toBe(2);
    expect(m.getInt(55)).toBeUndefined();
    expect(m.fields[0]).toEqual({ tag: 8, value: 'FIX.4.4' });
    expect(m.fields.at(-1)!.tag).toBe(10);
    expect(m.raw).toBe(bytes);
    expect(Object.isFrozen(m.fields)).toBe(true);
  });

  it('accepts a plain Uint8Array and can skip the checksum check', () => {
    const text = frame(HEARTBEAT);
    const u8 = new Uint8Array(wire(text));
    expect(decodeMessage(u8).msgType).toBe('0');
    const badSum = wire(text.replace(/10=\d{3}/, '10=000'));
    expect(garbledKind(badSum)).toBe('checksum');
    expect(decodeMessage(badSum, { verifyChecksum: false }).msgType).toBe('0');
  });

  it('reads a data field containing SOH by its length field', () => {
    const m = decodeMessage(wire(frame('35=B|49=A|56=B|34=2|52=20261121-10:00:00|148=h|354=5|355=ab|cd|')));
    expect(m.get(355)).toBe('ab\x01cd');
    expect(garbledKind(wire(frame('35=B|354=9|355=ab|cd|')))).toBe('field-syntax');
  });

  it.each([
    ['garbage', 'hello world', 'begin-string'],
    ['empty', '', 'begin-string'],
    ['BeginString not first', '9=5|8=FIX.4.4|35=0|10=000|', 'begin-string'],
    ['BodyLength not second', '8=FIX.4.4|35=0|9=5|10=000|', 'body-length'],
    ['MsgType not third (2t)', '8=FIX.4.4|9=29|34=2|35=0|49=TW|10=000|', 'msg-type'],
    ['BodyLength not a number', '8=FIX.4.4|9=abc|35=0|10=000|', 'body-length'],
    ['BodyLength negative', '8=FIX.4.4|9=-5|35=0|10=000|', 'body-length'],
    ['checksum missing', '8=FIX.4.4|9=5|35=0|', 'checksum'],
    ['truncated in the middle', '8=FIX.4.4|9=40|35=0|49=TW|56=IS', 'field-syntax'],
    ['truncated before MsgType', '8=FIX.4.4|9=40|', 'msg-type'],
    ['checksum not 3 digits', '8=FIX.4.4|9=5|35=0|10=0|', 'checksum'],
    ['checksum not digits', '8=FIX.4.4|9=5|35=0|10=abc|', 'checksum'],
    ['checksum without SOH', '8=FIX.4.4|9=5|35=0|10=123', 'checksum'],
  ])('garbled: %s', (_name, text, kind) => {
    expect(garbledKind(wire(text))).toBe(kind);
  });

  it('garbled: wrong BodyLength, both too short and too long', () => {
    const good = frame(HEARTBEAT);
    expect(garbledKind(wire(good.replace(/9=\d+/, '9=30')))).toBe('body-length');
    expect(garbledKind(wire(good.replace(/9=\d+/, '9=80')))).toBe('body-length');
    expect(garbledKind(wire(good.replace(/9=\d+/, '9=999999999')))).toBe('body-length');
  });

  it('garbled: bad checksum value says what it should be', () => {
    const bad = wire(frame(HEARTBEAT).replace(/10=\d{3}/, '10=256'));
    expect(() => decodeMessage(bad)).toThrow(/CheckSum\(10\)=256 but the bytes sum to \d{3}/);
  });

  it('garbled: tag without value separator, non-numeric tag, SOH missing, bytes after the checksum', () => {
    expect(garbledKind(wire(frame('35=0|49=TW|56|34=2|')))).toBe('field-syntax');
    expect(() => decodeMessage(wire(frame('35=0|49=TW|56|34=2|')))).toThrow(/has no '='/);
    expect(garbledKind(wire(frame('35=0|49=TW|4garbled9=TW|')))).toBe('field-syntax');
    expect(() => decodeMessage(wire(frame('35=0|abc=1|')))).toThrow(/non-numeric tag/);
    expect(garbledKind(wire(frame('35=0|=1|')))).toBe('field-syntax');
    expect(garbledKind(wire(frame(HEARTBEAT) + 'x'))).toBe('trailing-bytes');
    expect(garbledKind(wire(frame(HEARTBEAT) + frame(HEARTBEAT)))).toBe('trailing-bytes');
  });

  it('wrong BeginString: decodes by default, a distinct error when the expected one is given', () => {
    const old = wire(frame(HEARTBEAT, 'FIX.3.9'));
    expect(decodeMessage(old).get(8)).toBe('FIX.3.9');
    expect(() => decodeMessage(old, { beginString: 'FIX.4.4' })).toThrow(UnexpectedBeginStringError);
    expect(() => decodeMessage(old, { beginString: 'FIX.4.4' })).toThrow(/BeginString\(8\) is "FIX.3.9", expected "FIX.4.4"/);
    expect(decodeMessage(wire(frame(HEARTBEAT)), { beginString: 'FIX.4.4' }).msgType).toBe('0');
    // Framing problems still come first: they are garbled whatever the BeginString.
    expect(() => decodeMessage(wire(frame(HEARTBEAT, 'FIX.3.9').replace(/10=\d{3}/, '10=000')), { beginString: 'FIX.4.4' })).toThrow(GarbledMessageError);
  });

  it('keeps empty values and odd tags for validation to judge', () => {
    const m = decodeMessage(wire(frame('35=0|49=TW|56=|0=HI|-1=HI|5000=HI|')));
    expect(m.get(56)).toBe('');
    expect(m.has(0)).toBe(true);
    expect(m.get(-1)).toBe('HI');
  });

  it('survives hostile input without throwing anything but GarbledMessageError', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const good = wire(frame('35=R|49=A|56=B|34=2|52=20261121-10:00:00|131=Q1|146=1|55=EUR/USD|'));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(good);
      const k = 1 + Math.floor(rnd() * 3);
      for (let j = 0; j < k; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.3 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
      try {
        decodeMessage(cut);
      } catch (e) {
        expect(e).toBeInstanceOf(GarbledMessageError);
        expect((e as Error).message.length).toBeGreaterThan(5);
      }
    }
  });
});

describe('FixDecoder', () => {
  it('decodes as decodeMessage does, messages keep their own fields, and errors are the same', () => {
    const decoder = new FixDecoder();
    let seed = 5;
    const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const kept: [FixMessage, string][] = [];
    for (let i = 0; i < 2000; i++) {
      const good = encodeMessage('FIX.4.4', [...fields(HEARTBEAT), { tag: 58, value: 'x'.repeat(rand(300)) }, { tag: 354, value: '3' }, { tag: 355, value: 'a\x01b' }]);
      const bytes = Buffer.from(good);
      if (i % 3 === 1) bytes[rand(bytes.length)] = rand(256);
      const viaDecoder = outcomeOf(() => encodeFixMessage(decodeMessage(bytes, undefined, decoder)));
      expect(viaDecoder).toBe(outcomeOf(() => encodeFixMessage(decodeMessage(bytes))));
      try { const m = decodeMessage(bytes, undefined, decoder); kept.push([m, m.toString()]); } catch { /* garbled: compared above */ }
    }
    for (const [m, text] of kept) expect(m.toString()).toBe(text);
  });
});

describe('FixMessage', () => {
  it('works on constructed fields, and renders them for byte-level readers', () => {
    const m = new FixMessage(fields('35=D|11=X|38=100|'));
    expect(m.msgType).toBe('D');
    expect(m.getInt(38)).toBe(100);
    expect(m.seqNum).toBe(0);
    const { buf, idx } = m.bytes();
    expect(idx).toHaveLength(9);
    expect(buf.toString('latin1', idx[7], idx[8])).toBe('100');
    m.fields = fields('35=0|');
    expect(m.msgType).toBe('0');
    expect(m.toString()).toBe('35=0');
  });
});

describe('data fields', () => {
  it('the length/data pairs match the generated dictionary', () => {
    const dict = fix44Dictionary();
    const pairs = new Map<number, number>();
    for (const f of dict.source.fields) {
      if (f.type !== 'DATA') continue;
      const len = dict.fieldByName(`${f.name}Len`) ?? dict.fieldByName(`${f.name}Length`);
      expect(len, f.name).toBeDefined();
      pairs.set(f.tag, len!.tag);
    }
    expect(new Map([...DATA_FIELD_LENGTH_TAG].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...pairs].sort((a, b) => a[0] - b[0])));
  });
});

it('SOH is 0x01', () => {
  expect(SOH).toBe(1);
});
