import { mkdtempSync, readFileSync, rmSync, statSync, appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, MemoryStore, StoreCorruptError, type MessageStore } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'fixstore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exercise(store: MessageStore): void {
  expect(store.getNextSenderSeqNum()).toBe(1);
  expect(store.getNextTargetSeqNum()).toBe(1);
  store.saveSent(1, Buffer.from('one'));
  store.saveSent(2, Buffer.from('two'));
  store.saveSent(3, Buffer.from('three'));
  store.incrNextTargetSeqNum();
  expect(store.getNextSenderSeqNum()).toBe(4);
  expect(store.getNextTargetSeqNum()).toBe(2);
  expect(store.getSent(2, 3).map((m) => [m.seqNum, m.bytes.toString()])).toEqual([[2, 'two'], [3, 'three']]);
  expect(store.getSent(5, 9)).toEqual([]);
}

describe('MemoryStore', () => {
  it('tracks sequence numbers and sent messages; reset goes back to 1/1', () => {
    const s = new MemoryStore();
    exercise(s);
    s.reset();
    expect([s.getNextSenderSeqNum(), s.getNextTargetSeqNum(), s.getSent(1, 100).length]).toEqual([1, 1, 0]);
  });
});

describe('FileStore', () => {
  it('survives reopen with the same state', () => {
    const p = join(dir, 'a.log');
    const s = new FileStore(p);
    exercise(s);
    s.setNextTargetSeqNum(10);
    s.close();
    const r = new FileStore(p);
    expect(r.getNextSenderSeqNum()).toBe(4);
    expect(r.getNextTargetSeqNum()).toBe(10);
    expect(r.getSent(1, 3).map((m) => m.bytes.toString())).toEqual(['one', 'two', 'three']);
    r.close();
  });

  it('cuts a torn tail record and a garbage tail, keeping everything before it', () => {
    const p = join(dir, 'b.log');
    const s = new FileStore(p, { fsync: 'never' });
    s.saveSent(1, Buffer.from('first'));
    s.saveSent(2, Buffer.from('second'));
    s.close();
    const full = statSync(p).size;
    truncateSync(p, full - 3); // crash in the middle of writing record 2
    appendFileSync(p, Buffer.from([0x50, 0x4d, 0xff, 0xff]));
    const r = new FileStore(p);
    expect(r.getSent(1, 10).map((m) => m.bytes.toString())).toEqual(['first']);
    expect(r.getNextSenderSeqNum()).toBe(2);
    r.saveSent(2, Buffer.from('again'));
    r.close();
    const r2 = new FileStore(p);
    expect(r2.getSent(1, 10).map((m) => m.bytes.toString())).toEqual(['first', 'again']);
    r2.close();
  });

  it('refuses a file of garbage (never an empty store at sequence 1); reset compacts the log', () => {
    const p = join(dir, 'c.log');
    const junk = Buffer.from('this is not a store at all'.repeat(100));
    appendFileSync(p, junk);
    expect(() => new FileStore(p, { onCorrupt: () => {} })).toThrow(StoreCorruptError);
    expect(() => new FileStore(p, { onCorrupt: () => {} })).toThrow(/not a FIX store/);
    expect(readFileSync(p)).toEqual(junk);
    rmSync(p);
    const s = new FileStore(p);
    expect(s.getNextSenderSeqNum()).toBe(1);
    for (let i = 1; i <= 50; i++) s.saveSent(i, Buffer.alloc(100, 65));
    const before = statSync(p).size;
    s.reset();
    expect(statSync(p).size).toBeLessThan(before);
    expect(s.getSent(1, 100)).toEqual([]);
    s.close();
    const r = new FileStore(p);
    expect([r.getNextSenderSeqNum(), r.getNextTargetSeqNum()]).toEqual([1, 1]);
    r.close();
  });

  it('one flipped bit in the middle refuses to open, naming file and offset, and cuts nothing (issue 19 item 2)', () => {
    const p = join(dir, 'flip.log');
    const s = new FileStore(p, { fsync: 'never' });
    for (let i = 1; i <= 190; i++) s.saveSent(i, Buffer.from(`message number ${i} `.repeat(10)));
    s.setNextTargetSeqNum(102);
    s.close();
    const good = readFileSync(p);
    const size = good.length;
    for (const at of [size / 3, 14 + 3, size / 2 + 7].map(Math.floor)) { // a payload byte, a header byte (seq), anywhere
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x10;
      writeFileSync(p, bad);
      let err: unknown;
      const said: StoreCorruptError[] = [];
      try { new FileStore(p, { onCorrupt: (e) => said.push(e) }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(StoreCorruptError);
      expect(said).toEqual([err]);
      expect((err as StoreCorruptError).file).toBe(p);
      expect((err as StoreCorruptError).offset).toBeLessThanOrEqual(at);
      expect((err as Error).message).toContain(`${p}: FIX store corrupt at byte offset ${(err as StoreCorruptError).offset}`);
      expect(statSync(p).size).toBe(size);
    }
    writeFileSync(p, good);
    const r = new FileStore(p);
    expect([r.getNextSenderSeqNum(), r.getNextTargetSeqNum()]).toEqual([191, 102]);
    r.close();
  });

  it('a torn tail is cut, kept beside the file and reported; the next record starts clean', () => {
    const p = join(dir, 'torn.log');
    const s = new FileStore(p, { fsync: 'never' });
    s.saveSent(1, Buffer.from('first'));
    s.saveSent(2, Buffer.from('second'));
    s.close();
    const full = statSync(p).size;
    truncateSync(p, full - 2);
    const repairs: { file: string; offset: number; bytes: number; keptAs: string }[] = [];
    const r = new FileStore(p, { onRepair: (x) => repairs.push(x) });
    const cut = full - (10 + 6 + 4);
    expect(repairs).toEqual([{ file: p, offset: cut, bytes: 18, keptAs: `${p}.torn-${cut}` }]);
    expect(readFileSync(`${p}.torn-${cut}`)).toHaveLength(18);
    expect(r.getNextSenderSeqNum()).toBe(2);
    r.close();
  });

  it('junk after the last record that is not the start of one is refused; a tail of zeros is cut', () => {
    const p = join(dir, 'junk.log');
    const s = new FileStore(p, { fsync: 'never' });
    s.saveSent(1, Buffer.from('first'));
    s.close();
    const size = statSync(p).size;
    appendFileSync(p, Buffer.from('GARBAGE'));
    expect(() => new FileStore(p, { onCorrupt: () => {} })).toThrow(/not the start of a record/);
    truncateSync(p, size);
    appendFileSync(p, Buffer.alloc(4096));
    const r = new FileStore(p, { onRepair: () => {} });
    expect(r.getSent(1, 1).map((m) => m.bytes.toString())).toEqual(['first']);
    r.close();
    expect(statSync(p).size).toBe(size);
  });

  it('keeps the index of sent messages bounded to the newest maxIndexed, across a reopen (issue 19 item 8)', () => {
    const p = join(dir, 'bounded.log');
    const s = new FileStore(p, { fsync: 'never', maxIndexed: 10 });
    for (let i = 1; i <= 50; i++) s.saveSent(i, Buffer.from(`m${i}`));
    expect(s.getSent(1, 50).map((m) => m.seqNum)).toEqual([...Array(10).keys()].map((k) => 41 + k));
    expect(s.getNextSenderSeqNum()).toBe(51);
    s.close();
    const r = new FileStore(p, { maxIndexed: 10 });
    expect(r.getSent(1, 50).map((m) => m.bytes.toString())).toEqual([...Array(10).keys()].map((k) => `m${41 + k}`));
    r.close();
  });

  it('an inbound message counts as processed only with its first answer, or once handled (issue 19 item 4)', () => {
    const p = join(dir, 'inbound.log');
    const s = new FileStore(p);
    s.setNextTargetSeqNum(5);
    // Handled with an answer: the answer and "5 processed" are one record.
    s.beginInbound(6);
    expect(s.getNextTargetSeqNum()).toBe(6);
    s.saveSent(1, Buffer.from('answer to 5'));
    s.saveSent(2, Buffer.from('second answer'));
    s.endInbound();
    // Handled without an answer: persisted by endInbound.
    s.beginInbound(7);
    s.endInbound();
    // Being handled when the process dies (no answer, no endInbound): not processed on disk.
    s.beginInbound(8);
    s.close();
    const r = new FileStore(p);
    expect([r.getNextTargetSeqNum(), r.getNextSenderSeqNum()]).toEqual([7, 3]);
    expect(r.getSent(1, 2).map((m) => m.bytes.toString())).toEqual(['answer to 5', 'second answer']);
    r.close();
    // A torn combined record is cut as a whole: neither the answer nor the number survives.
    const size = statSync(p).size;
    const w = new FileStore(p);
    w.beginInbound(8);
    w.saveSent(3, Buffer.from('answer to 7'));
    w.close();
    truncateSync(p, size + 12);
    const t = new FileStore(p, { onRepair: () => {} });
    expect([t.getNextTargetSeqNum(), t.getNextSenderSeqNum(), t.getSent(3, 3).length]).toEqual([7, 3, 0]);
    t.close();
  });
});
