import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertSink, AuditLog, verifyAuditLog, type AuditOptions } from './log.ts';

let dir: string;
let n = 0;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'parley-audit-')); });
afterAll(() => rm(dir, { recursive: true, force: true }));

async function logWith(count: number, opts: AuditOptions = {}): Promise<string> {
  const f = join(dir, `audit-${++n}.jsonl`);
  const log = await AuditLog.open(f, opts);
  await Promise.all(Array.from({ length: count }, (_, i) => log.append('access.decision', { i, user: `u${i}`, decision: i % 2 ? 'allow' : 'deny', note: 'ünïcødé ✓' })));
  await log.close();
  return f;
}

async function lines(f: string): Promise<string[]> {
  return (await readFile(f, 'utf8')).split('\n').filter(Boolean);
}

async function rewrite(f: string, ls: string[]): Promise<void> {
  await writeFile(f, ls.map((l) => `${l}\n`).join(''));
}

describe('AuditLog', () => {
  it('writes hash-chained lines in call order, owner-readable only, and verifies', async () => {
    const f = await logWith(20);
    const ls = await lines(f);
    expect(ls).toHaveLength(20);
    const first = JSON.parse(ls[0]!);
    expect(Object.keys(first)).toEqual(['seq', 'ts', 'type', 'data', 'prev', 'hash']);
    expect(first).toMatchObject({ seq: 1, type: 'access.decision', data: { i: 0 }, prev: '0'.repeat(64) });
    expect(JSON.parse(ls[1]!).prev).toBe(first.hash);
    expect(ls.map((l) => JSON.parse(l).data.i)).toEqual([...Array(20).keys()]);
    expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect(await verifyAuditLog(f)).toEqual({ ok: true, lines: 20, lastHash: JSON.parse(ls[19]!).hash });
  });

  it('continues the chain after reopening', async () => {
    const f = await logWith(3);
    const log = await AuditLog.open(f);
    expect(log.seq).toBe(3);
    await log.append('admin.action', { cmd: 'users add' });
    await log.close();
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 4 });
  });

  it('detects an edited line', async () => {
    const f = await logWith(5);
    const ls = await lines(f);
    ls[2] = ls[2]!.replace('"decision":"deny"', '"decision":"allow"');
    await rewrite(f, ls);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/edited/) });
  });

  it('detects an edit that also recomputes the line hash (the next link breaks) in a legacy unkeyed log', async () => {
    const f = await logWith(5, { keyFile: null });
    const ls = await lines(f);
    const { createHash } = await import('node:crypto');
    const edited = ls[1]!.replace('"user":"u1"', '"user":"mallory"');
    const at = edited.lastIndexOf(',"hash":"');
    const body = `${edited.slice(0, at)}}`;
    ls[1] = `${edited.slice(0, at)},"hash":"${createHash('sha256').update(body).digest('hex')}"}`;
    await rewrite(f, ls);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/link broken/) });
  });

  it('detects a removed line', async () => {
    const f = await logWith(5);
    const ls = await lines(f);
    ls.splice(1, 1);
    await rewrite(f, ls);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 2 });
  });

  it('detects a removed first line', async () => {
    const f = await logWith(3);
    await rewrite(f, (await lines(f)).slice(1));
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 1 });
  });

  it('detects swapped lines', async () => {
    const f = await logWith(5);
    const ls = await lines(f);
    [ls[1], ls[2]] = [ls[2]!, ls[1]!];
    await rewrite(f, ls);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 2, reason: expect.stringMatching(/sequence/) });
  });

  it('detects an inserted line, even a copy of a valid one', async () => {
    const f = await logWith(4);
    const ls = await lines(f);
    ls.splice(2, 0, ls[1]!);
    await rewrite(f, ls);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 3 });
    const g = await logWith(2);
    const other = await lines(await logWith(2));
    await appendFile(g, `${other[1]}\n`);
    expect(await verifyAuditLog(g)).toMatchObject({ ok: false, line: 3 });
  });

  it('reports garbage, blank and torn lines', async () => {
    for (const junk of ['not json', '{}', '', '{"seq":3,"hash":"x"}', '{"seq":1,"ts":"t","type":"x","data":{},"prev":"0","hash":"ab"}']) {
      const f = await logWith(2);
      await appendFile(f, `${junk}\n`);
      expect(await verifyAuditLog(f)).toMatchObject({ ok: false, line: 3 });
    }
    expect(await verifyAuditLog(join(dir, 'none.jsonl'))).toMatchObject({ ok: false, line: 0, reason: expect.stringMatching(/ENOENT/) });
  });

  it('repairs a torn last line at open and records the cut (issue 19 item 7); a complete damaged last line is still refused', async () => {
    const f = await logWith(2);
    const size = (await stat(f)).size;
    await appendFile(f, '{"seq":3,"torn');
    const said: string[] = [];
    const log = await AuditLog.open(f, { alert: (l) => said.push(l) });
    await log.append('after', {});
    await log.close();
    const ls = (await lines(f)).map((l) => JSON.parse(l));
    expect(ls.map((l) => l.type)).toEqual(['access.decision', 'access.decision', 'audit.tail-repaired', 'after']);
    expect(ls[2].data).toEqual({ file: f, offset: size, bytes: 14, keptAs: `${f}.torn-${size}` });
    expect(await readFile(`${f}.torn-${size}`, 'utf8')).toBe('{"seq":3,"torn');
    expect(said).toEqual([`audit: ${f}: torn last line of 14 bytes cut at offset ${size} (kept as ${f}.torn-${size})`]);
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 4 });
    const g = await logWith(2);
    const at = (await stat(g)).size;
    await appendFile(g, '{"seq":3,"complete but not an entry"}\n');
    await expect(AuditLog.open(g)).rejects.toThrow(/last line is not a valid audit entry/);
    await expect(AuditLog.open(g)).rejects.toMatchObject({ file: g, offset: at });
  });

  it('refuses bad entry types and unserialisable data, and keeps logging', async () => {
    const f = join(dir, 'types.jsonl');
    const log = await AuditLog.open(f);
    await expect(log.append('bad type\n', {})).rejects.toThrow(/audit type/);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    await expect(log.append('x', cyc)).rejects.toThrow();
    await log.append('ok', { 'quote"s': 'line\nbreak', big: 2 ** 60 });
    await log.close();
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 1 });
  });
});

describe('AlertSink', () => {
  it('writes its own audit line and POSTs to the webhook on 127.0.0.1', async () => {
    const got: { body: unknown; type: string | undefined }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let b = '';
      req.on('data', (c: Buffer) => { b += c.toString(); });
      req.on('end', () => { got.push({ body: JSON.parse(b), type: req.headers['content-type'] }); res.end('ok'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const f = join(dir, 'alerts.jsonl');
    const log = await AuditLog.open(f);
    const sink = new AlertSink({ log, webhookUrl: `http://127.0.0.1:${port}/hook` });
    await sink.alert('mfa.lockout', { username: 'alice', failures: 5 });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'application/json', body: { source: 'parley-gateway', kind: 'mfa.lockout', username: 'alice', failures: 5 } });
    server.close();
    await new Promise<void>((r) => server.on('close', () => r()));
    // a dead webhook is recorded, not thrown
    await sink.alert('risk.deny', { username: 'bob' });
    await log.close();
    const ls = (await lines(f)).map((l) => JSON.parse(l));
    expect(ls.map((l) => l.type)).toEqual(['alert', 'alert', 'alert.webhook-failed']);
    expect(ls[0].data).toEqual({ kind: 'mfa.lockout', username: 'alice', failures: 5 });
    expect(await verifyAuditLog(f)).toMatchObject({ ok: true, lines: 3 });
  });

  it('refuses plain-http webhooks to other hosts', () => {
    expect(() => new AlertSink({ webhookUrl: 'http://alerts.example.com/x' })).toThrow(/must be an https URL/);
    expect(() => new AlertSink({ webhookUrl: 'not a url' })).toThrow(/must be an https URL/);
    expect(() => new AlertSink({ webhookUrl: 'https://alerts.example.com/x' })).not.toThrow();
  });
});
