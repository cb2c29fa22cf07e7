import { describe, expect, it } from 'vitest';
import { checksum, decodeMessage } from './codec.ts';
import { FixFramer, type FrameResult } from './framer.ts';

function frame(body: string, begin = 'FIX.4.4'): string {
  const b = body.replaceAll('|', '\x01');
  const head = `8=${begin}\x019=${b.length}\x01`;
  const sum = checksum(Buffer.from(head + b, 'latin1'));
  return `${head}${b}10=${String(sum).padStart(3, '0')}\x01`;
}
const bytes = (s: string): Buffer => Buffer.from(s.replaceAll('|', '\x01'), 'latin1');
const hb = (seq: number): string => frame(`35=0|49=TW|56=ISLD|34=${seq}|52=20261121-10:00:00.000|`);

type Summary = string;
function summarize(results: FrameResult[]): Summary[] {
  return results.map((r) => (r.ok ? `ok:${decodeMessage(r.bytes).seqNum}` : `${r.reason}`));
}

function feedWhole(stream: Buffer, opts?: { maxMessageSize?: number }): Summary[] {
  return summarize(new FixFramer(opts).push(stream));
}

/** Feeds the stream in two pieces split at every position, and byte by byte; all must agree. */
function expectSameAtEverySplit(stream: Buffer, expected: Summary[], opts?: { maxMessageSize?: number }): void {
  expect(feedWhole(stream, opts)).toEqual(expected);
  for (let cut = 0; cut <= stream.length; cut++) {
    const f = new FixFramer(opts);
    const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    expect(summarize(got), `split at ${cut}`).toEqual(expected);
  }
  const f = new FixFramer(opts);
  const got: FrameResult[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...f.push(stream.subarray(i, i + 1)));
  expect(summarize(got), 'byte by byte').toEqual(expected);
}

describe('FixFramer', () => {
  it('cuts back-to-back messages split at every byte position', () => {
    const stream = bytes(hb(1) + hb(2) + hb(3));
    expectSameAtEverySplit(stream, ['ok:1', 'ok:2', 'ok:3']);
  });

  it('returns exact copies of each message', () => {
    const f = new FixFramer();
    const a = bytes(hb(1));
    const [r] = f.push(a);
    expect(r!.ok && r!.bytes.equals(a)).toBe(true);
    expect(f.buffered).toBe(0);
  });

  it('waits for the rest of a truncated message', () => {
    const f = new FixFramer();
    const m = bytes(hb(1));
    expect(f.push(m.subarray(0, 30))).toEqual([]);
    expect(f.buffered).toBe(30);
    expect(summarize(f.push(m.subarray(30)))).toEqual(['ok:1']);
  });

  it('reports garbage once and resynchronises on the next 8=FIX', () => {
    const stream = bytes('garbage\x01bytes\x01' + hb(1) + 'more junk 8=FI' + hb(2));
    expectSameAtEverySplit(stream, ['garbled', 'ok:1', 'garbled', 'ok:2']);
  });

  it('drops a message whose BodyLength is too short, and the next one still comes through (2m)', () => {
    const bad = hb(1).replace(/9=\d+/, '9=30');
    expectSameAtEverySplit(bytes(bad + hb(2)), ['garbled', 'ok:2']);
  });

  it('a BodyLength too long swallows the next message, as QuickFIX does (2m); later ones come through', () => {
    const bad = hb(1).replace(/9=\d+/, '9=111');
    expectSameAtEverySplit(bytes(bad + hb(2) + hb(3)), ['garbled', 'ok:3']);
  });

  it('refuses a huge BodyLength without waiting or buffering it', () => {
    const bad = hb(1).replace(/9=\d+/, '9=999999999');
    const f = new FixFramer();
    const r = f.push(bytes(bad));
    expect(r[0]).toMatchObject({ ok: false, reason: 'too-large' });
    expectSameAtEverySplit(bytes(bad + hb(2)), ['too-large', 'ok:2']);
    expectSameAtEverySplit(bytes(hb(1).replace(/9=\d+/, '9=12345678901') + hb(2)), ['too-large', 'ok:2']);
  });

  it('refuses a message over the size limit and keeps serving', () => {
    const big = frame(`35=0|49=TW|56=ISLD|34=9|52=20261121-10:00:00|58=${'x'.repeat(500)}|`);
    expectSameAtEverySplit(bytes(hb(1) + big + hb(2)), ['ok:1', 'too-large', 'ok:2'], { maxMessageSize: 256 });
  });

  it('bounds its buffer when no checksum ever comes', () => {
    const f = new FixFramer({ maxMessageSize: 1024 });
    const results: FrameResult[] = [];
    results.push(...f.push(bytes('8=FIX.4.4|9=10|35=0|49=TW|')));
    for (let i = 0; i < 100; i++) results.push(...f.push(Buffer.alloc(100, 0x41)));
    expect(f.buffered).toBeLessThanOrEqual(1024 + 64);
    expect(results.some((r) => !r.ok)).toBe(true);
    expect(summarize(f.push(bytes(hb(5))))).toContain('ok:5');
  });

  it('a slow drip after a short BodyLength resumes its CheckSum search (and still swallows like QuickFIX)', () => {
    const f = new FixFramer();
    const got: FrameResult[] = [];
    got.push(...f.push(bytes('8=FIX.4.4|9=10|35=0|49=TW|')));
    const junk = Buffer.alloc(30_000, 0x41);
    for (let i = 0; i < junk.length; i++) got.push(...f.push(junk.subarray(i, i + 1)));
    expect(got).toEqual([]);
    // The next message's CheckSum ends the swallowed frame (as QuickFIX cuts it); the one after comes through.
    const next = bytes(hb(7) + hb(8));
    for (let i = 0; i < next.length; i += 7) got.push(...f.push(next.subarray(i, i + 7)));
    expect(summarize(got)).toEqual(['garbled', 'ok:8']);
  });

  it('hands a wrong BeginString, bad checksum or first-three-out-of-order message to decode (which refuses it)', () => {
    const wrongBegin = frame('35=0|49=TW|56=ISLD|34=1|52=20261121-10:00:00|', 'FIX.3.9');
    const badSum = hb(2).replace(/10=\d{3}/, '10=256');
    const outOfOrder = frame('34=3|35=0|49=TW|56=ISLD|52=20261121-10:00:00|');
    const f = new FixFramer();
    const rs = f.push(bytes(wrongBegin + badSum + outOfOrder + hb(4)));
    expect(rs).toHaveLength(4);
    expect(rs.every((r) => r.ok)).toBe(true);
    const first = rs[0]!;
    expect(first.ok && decodeMessage(first.bytes).get(8)).toBe('FIX.3.9');
    expect(() => rs[1]!.ok && decodeMessage(rs[1]!.bytes)).toThrow(/CheckSum/);
    expect(() => rs[2]!.ok && decodeMessage(rs[2]!.bytes)).toThrow(/MsgType/);
    expect(rs[3]!.ok && decodeMessage(rs[3]!.bytes).seqNum).toBe(4);
  });

  it('garbled header fields: 9 missing, 9 not a number, BeginString without SOH', () => {
    expectSameAtEverySplit(bytes('8=FIX.4.4|35=0|10=000|' + hb(2)), ['garbled', 'ok:2']);
    expectSameAtEverySplit(bytes('8=FIX.4.4|9=x1|35=0|10=000|' + hb(2)), ['garbled', 'ok:2']);
    expectSameAtEverySplit(bytes('8=FIX' + 'A'.repeat(60) + hb(2)), ['garbled', 'ok:2']);
  });

  it.each([7, 11, 12345, 99, 2024])('survives random noise between good messages (seed %i)', (seed0) => {
    let seed = seed0;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const parts: string[] = [];
    for (let i = 1; i <= 40; i++) {
      let noise = '';
      const n = Math.floor(rnd() * 20);
      // Mostly the characters of "8=FIX", to provoke partial starts at chunk edges.
      for (let j = 0; j < n; j++) noise += rnd() < 0.5 ? '8=FI='[Math.floor(rnd() * 5)]! : String.fromCharCode(0x21 + Math.floor(rnd() * 90));
      if (noise.includes('8=FIX')) noise = noise.replaceAll('8=FIX', '8=FIY');
      parts.push(noise, hb(i));
    }
    const stream = bytes(parts.join(''));
    const f = new FixFramer();
    const got: FrameResult[] = [];
    for (let p = 0; p < stream.length;) {
      const n = 1 + Math.floor(rnd() * 50);
      got.push(...f.push(stream.subarray(p, p + n)));
      p += n;
    }
    const oks = summarize(got).filter((s) => s.startsWith('ok'));
    // Noise can only hurt a message if it happens to contain "8=FIX"; this noise never does.
    expect(oks).toEqual(Array.from({ length: 40 }, (_, i) => `ok:${i + 1}`));
  });
});
