// Issue 19 item 6 (audit part): a write failure (ENOSPC, EIO) leaves a recorded gap, never a torn line mid-file
// that reads as tampering for ever; the alert goes to the alert channel (stderr by default), not only the failing disk.
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSmallTmpfs } from '../testing/tmpfs.ts';
import { AuditLog, verifyAuditChain, type AuditIo } from './log.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'parley-audit-outage-')); });
afterAll(() => rm(dir, { recursive: true, force: true }));

const entries = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; type: string; data: Record<string, unknown> });

describe('audit writes that fail', () => {
  it('an injected ENOSPC part-way through writes leaves a gap entry with the count, not a torn line (unit, fs seam)', async () => {
    const f = join(dir, 'seam.jsonl');
    let failing = false;
    const io = (fh: import('node:fs/promises').FileHandle): AuditIo => ({
      append: async (b) => {
        if (!failing) return fh.appendFile(b);
        await fh.appendFile(b.subarray(0, Math.floor(b.length / 2))); // the disk took half the line, then filled up
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      truncate: (len) => fh.truncate(len),
    });
    const said: string[] = [];
    const log = await AuditLog.open(f, { io, alert: (l) => said.push(l) });
    await log.append('before', { i: 1 });
    failing = true;
    for (let i = 0; i < 3; i++) await expect(log.append(i === 2 ? 'trade.executed' : 'access.decision', { i })).rejects.toThrow(/ENOSPC/);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^AUDIT: .*seam\.jsonl: write failed \(ENOSPC\)/);
    failing = false;
    await log.append('after', { i: 2 });
    await log.close();
    const es = await entries(f);
    expect(es.map((e) => e.type)).toEqual(['before', 'audit.gap', 'after']);
    expect(es[1]!.data).toMatchObject({ lost: 3, error: 'ENOSPC', types: { 'access.decision': 2, 'trade.executed': 1 } });
    expect(Date.parse(String(es[1]!.data.to))).toBeGreaterThanOrEqual(Date.parse(String(es[1]!.data.from)));
    expect(said[1]).toMatch(/writing works again; 3 event\(s\) lost from .* recorded as audit.gap at entry 2$/);
    expect(await verifyAuditChain(f)).toMatchObject({ ok: true, lines: 3, gaps: [{ line: 2, lost: 3 }] });
  });

  it('a gap entry that itself cannot be written counts the event too; the chain stays intact', async () => {
    const f = join(dir, 'seam2.jsonl');
    let fails = 0;
    const io = (fh: import('node:fs/promises').FileHandle): AuditIo => ({
      append: async (b) => { if (fails > 0) { fails--; await fh.appendFile(b.subarray(0, 5)); throw Object.assign(new Error('EIO'), { code: 'EIO' }); } return fh.appendFile(b); },
      truncate: (len) => fh.truncate(len),
    });
    const log = await AuditLog.open(f, { io, alert: () => {} });
    fails = 2; // the event, then the gap entry on the next attempt
    await expect(log.append('a', {})).rejects.toThrow('EIO');
    await expect(log.append('b', {})).rejects.toThrow('EIO');
    await log.append('c', {});
    await log.close();
    expect((await entries(f)).map((e) => [e.type, e.data.lost])).toEqual([['audit.gap', 2], ['c', undefined]]);
    expect(await verifyAuditChain(f)).toMatchObject({ ok: true, lines: 2 });
  });
});

describe('audit log on a real full disk (1 MiB tmpfs)', () => {
  const fs = useSmallTmpfs('parley-tmpfs-');

  it('keeps logging to stderr while full, records the gap and verifies once space is back', async (ctx) => {
    if (!fs.mounted) {
      ctx.skip(`cannot mount a tmpfs here (${fs.refused || 'not root?'}); the fs-seam tests above cover the logic`);
      return;
    }
    const f = join(fs.dir, 'audit.jsonl');
    const said: string[] = [];
    const log = await AuditLog.open(f, { alert: (l) => said.push(l) });
    ctx.onTestFinished(() => log.close().catch(() => undefined));
    for (let i = 0; i < 5; i++) await log.append('before', { i });
    // Fill the disk.
    const filler = join(fs.dir, 'filler');
    const fd = openSync(filler, 'w');
    const block = Buffer.alloc(4096, 120);
    try { for (;;) writeSync(fd, block); } catch (e) { expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); }
    closeSync(fd);
    let lost = 0;
    for (let i = 0; i < 20; i++) {
      try { await log.append('during', { i, pad: 'x'.repeat(300) }); } catch (e) { expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC'); lost++; }
    }
    expect(lost).toBeGreaterThan(0);
    await rm(filler);
    await log.append('after', {});
    await log.close();
    // A nearly full disk takes a small gap entry now and then between failures: every outage gets its own gap,
    // and together they count every lost event.
    const es = await entries(f);
    const gaps = es.filter((e) => e.type === 'audit.gap');
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.every((g) => g.data.error === 'ENOSPC')).toBe(true);
    expect(gaps.reduce((sum, g) => sum + Number(g.data.lost), 0)).toBe(lost);
    expect(said.filter((l) => l.startsWith('AUDIT: '))).toHaveLength(gaps.length);
    expect(said.filter((l) => l.startsWith('audit: ') && l.includes(': writing works again; '))).toHaveLength(gaps.length);
    expect(es.filter((e) => e.type === 'during')).toHaveLength(20 - lost);
    expect(es.at(-1)?.type).toBe('after');
    const v = await verifyAuditChain(f);
    expect(v).toMatchObject({ ok: true, lines: es.length });
    expect(v.ok && v.gaps.reduce((sum, g) => sum + g.lost, 0)).toBe(lost);
  });
});
