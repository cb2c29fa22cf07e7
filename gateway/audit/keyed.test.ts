// Issue 10 item 4: a keyed chain (HMAC, key outside the log) and keyed checkpoints, so re-chaining without the key
// and cutting the tail both fail verify; legacy unkeyed logs stay readable and are migrated.
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditChain, verifyAuditLog, type AuditOptions } from './log.ts';

let dir: string;
let n = 0;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'parley-audit-keyed-')); });
afterAll(() => rm(dir, { recursive: true, force: true }));

async function logWith(count: number, opts: AuditOptions = {}): Promise<string> {
  const f = join(dir, `audit-${++n}.jsonl`);
  const log = await AuditLog.open(f, opts);
  for (let i = 0; i < count; i++) await log.append(i % 3 ? 'access.decision' : 'logon.lockout', { i, user: `u${i}` });
  await log.close();
  return f;
}

const text = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter(Boolean);

/** What the red team did: drop lines, renumber, recompute every hash with SHA-256 (no key). */
function rechainWithoutKey(ls: string[]): string {
  let prev = '0'.repeat(64);
  return ls.map((l, i) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const body = JSON.stringify({ seq: i + 1, ts: o.ts, type: o.type, data: o.data, prev });
    prev = createHash('sha256').update(body).digest('hex');
    return `${body.slice(0, -1)},"hash":"${prev}"}\n`;
  }).join('');
}

describe('keyed audit chain', () => {
  it('creates a 0600 key beside the log at first open and writes a keyed chain that verifies with it', async () => {
    const f = await logWith(10);
    const key = await readFile(`${f}.key`, 'utf8');
    expect(key).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await stat(`${f}.key`)).mode & 0o777).toBe(0o600);
    expect(await verifyAuditChain(f)).toMatchObject({ ok: true, lines: 10, keyed: true, legacyEntries: 0, checkpoint: { seq: 10 }, gaps: [] });
    expect(key).not.toContain(await readFile(f, 'utf8').then((t) => t.slice(0, 20)));
    expect(await readFile(f, 'utf8')).not.toContain(key.trim());
  });

  it('removing lines and re-chaining them without the key fails verify', async () => {
    const f = await logWith(12);
    const kept = (await text(f)).filter((l) => !l.includes('"logon.lockout"'));
    await writeFile(f, rechainWithoutKey(kept));
    const v = await verifyAuditLog(f);
    expect(v).toMatchObject({ ok: false, line: 8, reason: expect.stringMatching(/without the key/) });
  });

  it('reports a cut tail against the last checkpoint', async () => {
    const f = await logWith(30);
    const ls = await text(f);
    await writeFile(f, ls.slice(0, 25).map((l) => `${l}\n`).join(''));
    expect(await verifyAuditLog(f)).toEqual({ ok: false, line: 26, reason: expect.stringMatching(/^truncated: the log ends at entry 25, the checkpoint of .* records 30 entries$/) });
  });

  it('checks against an exported checkpoint copy; an edited or forged checkpoint fails', async () => {
    const f = await logWith(5);
    const exported = join(dir, `exported-${n}.checkpoints`);
    await copyFile(`${f}.checkpoints`, exported);
    // The local checkpoints are deleted along with the tail: the exported copy still tells.
    await rm(`${f}.checkpoints`);
    await writeFile(f, (await text(f)).slice(0, 3).map((l) => `${l}\n`).join(''));
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 3 });
    expect(await verifyAuditLog(f, { checkpointFile: exported })).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/truncated/) });
    const forged = (await readFile(exported, 'utf8')).replace(/"seq":5/, '"seq":3');
    await writeFile(exported, forged);
    expect(await verifyAuditLog(f, { checkpointFile: exported })).toMatchObject({ ok: false, line: 0, reason: expect.stringMatching(/does not verify with the key/) });
  });

  it('a copy without its key does not verify as keyed; with --key it does', async () => {
    const f = await logWith(4);
    const copy = join(dir, `copy-${n}.jsonl`);
    await copyFile(f, copy);
    expect(await verifyAuditLog(copy)).toMatchObject({ ok: false, line: 1, reason: expect.stringMatching(/give the key file/) });
    expect(await verifyAuditLog(copy, { keyFile: `${f}.key` })).toMatchObject({ ok: true, lines: 4 });
    expect(await verifyAuditLog(copy, { keyFile: join(dir, 'nope.key') })).toMatchObject({ ok: false, line: 0, reason: expect.stringMatching(/not found/) });
  });

  it('refuses to continue a keyed log whose key is gone (never a new key for an old chain)', async () => {
    const f = await logWith(3);
    await rm(`${f}.key`);
    await expect(AuditLog.open(f)).rejects.toThrow(/key file .*\.key is missing — restore it/);
    await expect(stat(`${f}.key`)).rejects.toThrow();
  });

  it('a legacy unkeyed log stays readable and is migrated: audit.keyed names the unkeyed entries, then the chain is keyed', async () => {
    const f = await logWith(4, { keyFile: null });
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 4 });
    const log = await AuditLog.open(f);
    expect(log.keyed).toBe(true);
    await log.append('admin.action', { cmd: 'x' });
    await log.close();
    const ls = (await text(f)).map((l) => JSON.parse(l));
    expect(ls[4]).toMatchObject({ seq: 5, type: 'audit.keyed', data: { legacyEntries: 4, legacyLastHash: ls[3].hash } });
    expect(await verifyAuditChain(f)).toMatchObject({ ok: true, lines: 6, keyed: true, legacyEntries: 4 });
    // Re-chaining everything as legacy lines (dropping some) no longer passes once the log has a key.
    await writeFile(f, rechainWithoutKey((await text(f)).filter((l) => !l.includes('"logon.lockout"'))));
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false });
  });

  it('an edit that recomputes the HMAC is impossible without the key; recomputing SHA-256 fails at that line', async () => {
    const f = await logWith(5);
    const ls = await text(f);
    const o = JSON.parse(ls[1]!) as Record<string, unknown>;
    const body = JSON.stringify({ seq: o.seq, ts: o.ts, type: o.type, data: { ...(o.data as object), user: 'mallory' }, prev: o.prev });
    ls[1] = `${body.slice(0, -1)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
    await writeFile(f, ls.map((l) => `${l}\n`).join(''));
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 2, reason: expect.stringMatching(/unkeyed entry after keyed ones/) });
  });

  it('a torn last line is reported as such by verify until the gateway repairs it', async () => {
    const f = await logWith(3);
    const size = (await stat(f)).size;
    await writeFile(f, '{"seq":4,"ts":"2026', { flag: 'a' });
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/^incomplete last line/) });
    await (await AuditLog.open(f, { alert: () => {} })).close();
    expect(await verifyAuditChain(f)).toMatchObject({ ok: true, lines: 4 });
    await truncate(f, size);
  });

  it('a file of random bytes is refused, never read as an empty log; a tail of zeros (power cut) is repaired', async () => {
    const f = join(dir, `random-${++n}.jsonl`);
    const junk = Buffer.from(Array.from({ length: 3000 }, (_, i) => 32 + ((i * 7919) % 90)).filter((b) => b !== 0x0a));
    await writeFile(f, junk);
    await expect(AuditLog.open(f, { alert: () => {} })).rejects.toThrow(/not the start of an audit entry/);
    expect(await readFile(f)).toEqual(junk);
    const g = await logWith(2);
    await writeFile(g, Buffer.alloc(4096), { flag: 'a' });
    const said: string[] = [];
    await (await AuditLog.open(g, { alert: (l) => said.push(l) })).close();
    expect(said[0]).toMatch(/torn last line of 4096 bytes/);
    expect(await verifyAuditChain(g)).toMatchObject({ ok: true, lines: 3 });
  });
});
