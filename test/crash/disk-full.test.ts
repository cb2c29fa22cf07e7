// Issue 19: a full disk (a real 1 MiB tmpfs) in the middle of trade and FIX-store writes. A write that fails
// part-way leaves torn bytes on disk; the next write must not land on them, and what was acknowledged survives.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../fix/store.ts';
import { TradeStore, type Trade } from '../../gateway/desk/trade-store.ts';
import { useSmallTmpfs } from '../../gateway/testing/tmpfs.ts';

const fs = useSmallTmpfs('parley-full-');

/**
 * Fills the file system; returns the filler's path. tmpfs allocates whole pages, so writes into a file's last,
 * partly used page still succeed and the first write that crosses into a new page is cut short there: a real
 * torn write.
 */
function fill(name: string): string {
  const filler = join(fs.dir, name);
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(1024, 120);
  try { for (;;) writeSync(fd, block); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e; }
  try { for (;;) writeSync(fd, block, 0, 1); } catch { /* the last bytes */ }
  closeSync(fd);
  return filler;
}

function trade(i: number): Trade {
  return {
    tradeId: `T${i}`, execId: `E${i}`, quoteId: `Q${i}`, quoteReqId: `R${i}`, quoteRespId: `H${i}`, user: 'alice', compId: 'ALICE',
    dealer: 'DLR1', symbol: 'XS1', side: 'buy', qty: 1, price: 100 + i, currency: 'EUR', time: '2026-01-01T10:00:00.000Z', settlDate: '2026-01-05',
  };
}

describe('full disk on a real tmpfs', () => {
  it('trades: a failed record throws, the next lands on a clean line, and every recorded trade is there after a reopen', (ctx) => {
    if (!fs.mounted) { ctx.skip(`cannot mount a tmpfs here (${fs.refused || 'not root?'})`); return; }
    const f = join(fs.dir, 'trades.jsonl');
    const s = TradeStore.open(f);
    const ok: string[] = [];
    s.record(trade(0));
    ok.push('T0');
    const filler = fill('filler-trades');
    let failed = 0;
    for (let i = 1; i <= 40; i++) {
      try { s.record(trade(i)); ok.push(`T${i}`); } catch (e) { expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); failed++; }
    }
    expect(failed).toBeGreaterThan(0);
    rmSync(filler);
    s.record(trade(9));
    ok.push('T9');
    s.close();
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('{"tradeId"'))).toBe(true);
    expect(TradeStore.open(f).query().map((t) => t.tradeId)).toEqual(ok);
  });

  it('FIX store: a failed save throws, the next record is not appended onto the torn one, and a reopen sees every saved message', (ctx) => {
    if (!fs.mounted) { ctx.skip(`cannot mount a tmpfs here (${fs.refused || 'not root?'})`); return; }
    const p = join(fs.dir, 'ALICE.store');
    const s = new FileStore(p);
    const saved: number[] = [];
    for (let i = 1; i <= 3; i++) { s.saveSent(i, Buffer.from(`message ${i} `.repeat(20))); saved.push(i); }
    const filler = fill('filler-store');
    for (let i = 4; i <= 40; i++) {
      try { s.saveSent(i, Buffer.from(`message ${i} `.repeat(20))); saved.push(i); } catch (e) { expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); }
    }
    expect(saved.length).toBeLessThan(40);
    rmSync(filler);
    const next = saved.at(-1)! + 1;
    s.saveSent(next, Buffer.from('after the outage'));
    saved.push(next);
    s.close();
    const r = new FileStore(p, { onRepair: () => { throw new Error('nothing torn may be left behind'); } });
    expect(r.getSent(1, 100).map((m) => m.seqNum)).toEqual(saved);
    expect(r.getNextSenderSeqNum()).toBe(next + 1);
    r.close();
  });
});
