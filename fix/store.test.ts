import { mkdtempSync, rmSync, statSync, appendFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore, MemoryStore, type MessageStore } from './store.ts';

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

  it('treats a file of garbage as empty and reset compacts the log', () => {
    const p = join(dir, 'c.log');
    appendFileSync(p, Buffer.from('this is not a store at all'.repeat(100)));
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
});
