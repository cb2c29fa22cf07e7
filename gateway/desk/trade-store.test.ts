import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TradeStore, TradeStoreCorruptError, type TailRepair, type Trade } from './trade-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'trades-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `t${++n}`, 'trades.jsonl');

function trade(i: number): Trade {
  return {
    tradeId: `T${i}`, execId: `E${i}`, quoteId: `Q${i}`, quoteReqId: `R${i}`, quoteRespId: `H${i}`, user: 'alice', compId: 'ALICE',
    dealer: 'DLR1', symbol: 'XS1', side: 'buy', qty: 1, price: 100 + i, currency: 'EUR', time: '2026-01-01T10:00:00.000Z', settlDate: '2026-01-05',
  };
}

describe('TradeStore recovery', () => {
  it('a confirmed trade survives a torn line followed by more trades and a restart (issue 19 item 1)', () => {
    const f = fresh();
    const a = TradeStore.open(f);
    a.record(trade(1));
    a.close();
    appendFileSync(f, '{"tradeId":"T2","execId":"E2","quo'); // crash mid-write of trade 2
    const repairs: TailRepair[] = [];
    const b = TradeStore.open(f, { onRepair: (r) => repairs.push(r) });
    expect(b.size).toBe(1);
    const cutAt = statSync(f).size;
    expect(repairs).toEqual([{ file: f, offset: cutAt, bytes: 34, keptAs: `${f}.torn-${cutAt}` }]);
    expect(readFileSync(repairs[0]!.keptAs, 'utf8')).toBe('{"tradeId":"T2","execId":"E2","quo');
    b.record(trade(3)); // confirmed to the client
    b.record(trade(4));
    b.close();
    const c = TradeStore.open(f);
    expect(c.query().map((t) => t.tradeId)).toEqual(['T1', 'T3', 'T4']);
    expect(c.byQuoteResp('alice', 'H3')?.tradeId).toBe('T3');
    c.close();
  });

  it('refuses a bad line in the middle, naming the file, the line and the offset; nothing is cut', () => {
    const f = fresh();
    const a = TradeStore.open(f);
    a.record(trade(1));
    a.record(trade(2));
    a.record(trade(3));
    a.close();
    const text = readFileSync(f, 'utf8');
    const second = text.indexOf('\n') + 1;
    const flipped = Buffer.from(text);
    flipped[second + 3] = flipped[second + 3]! ^ 0x01; // one flipped bit in line 2's JSON
    writeFileSync(f, flipped);
    let err: unknown;
    try { TradeStore.open(f); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(TradeStoreCorruptError);
    expect(err).toMatchObject({ file: f, line: 2, offset: second });
    expect((err as Error).message).toContain(f);
    expect((err as Error).message).toContain(`byte offset ${second}`);
    expect(readFileSync(f)).toEqual(flipped);
  });

  it('finds a flipped bit anywhere in a middle line, a price digit included (each line carries a CRC)', () => {
    const f = fresh();
    const a = TradeStore.open(f);
    for (let i = 1; i <= 3; i++) a.record(trade(i));
    a.close();
    const good = readFileSync(f);
    const start = good.indexOf(0x0a) + 1;
    const end = good.indexOf(0x0a, start);
    let caught = 0;
    for (let at = start; at < end; at++) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x04;
      writeFileSync(f, bad);
      expect(() => TradeStore.open(f), `bit flip at ${at}`).toThrow(TradeStoreCorruptError);
      caught++;
    }
    expect(caught).toBe(end - start);
    writeFileSync(f, good);
    expect(TradeStore.open(f).query().map((t) => t.price)).toEqual([101, 102, 103]);
  });

  it('refuses a file of random bytes instead of reading it as an empty history', () => {
    const f = fresh();
    TradeStore.open(f).close();
    const junk = Buffer.concat([randomBytes(4000), Buffer.from('\n'), randomBytes(100)]);
    writeFileSync(f, junk);
    expect(() => TradeStore.open(f)).toThrow(TradeStoreCorruptError);
    expect(readFileSync(f)).toEqual(junk);
  });

  it('cuts a torn first write to empty and starts cleanly', () => {
    const f = fresh();
    TradeStore.open(f).close();
    writeFileSync(f, '{"tradeId":"T1","ex');
    const s = TradeStore.open(f, { onRepair: () => {} });
    expect(s.size).toBe(0);
    s.record(trade(1));
    s.close();
    expect(TradeStore.open(f).size).toBe(1);
  });
});
