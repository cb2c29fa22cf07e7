import { mkdtempSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import { AdminServer, adminCall } from './channel.ts';
import { AdminFailure, MAX_FRAME_BYTES, commands, validateArgs } from './contract.ts';
import { runCommand } from './dispatch.ts';
import { filesContext } from './offline.ts';

type Frame = { id: number | null; ok: boolean; result?: unknown; error?: { code: string; message: string } };

/** Writes raw bytes on one connection and collects the answer frames until `count` arrive or the server closes. */
function raw(path: string, chunks: string[], count: number): Promise<{ frames: Frame[]; closed: boolean }> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    let buf = '';
    const frames: Frame[] = [];
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) { frames.push(JSON.parse(buf.slice(0, nl)) as Frame); buf = buf.slice(nl + 1); }
      if (frames.length >= count) { c.destroy(); resolve({ frames, closed: false }); }
    });
    c.on('close', () => resolve({ frames, closed: true }));
    c.on('connect', () => { for (const ch of chunks) c.write(ch); });
  });
}

const servers: AdminServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

async function serve() {
  const dir = mkdtempSync(join(tmpdir(), 'admdisp-'));
  const cfg = parseConfig({ dataDir: dir }, join(dir, 'gw.json'));
  const ctx = filesContext(cfg);
  const path = join(dir, 'admin.sock');
  servers.push(await AdminServer.listen(path, (cmd, args) => runCommand(ctx, cmd, args)));
  return { path, cfg };
}

describe('admin contract', () => {
  it('every command has strict, bounded argument schemas (unknown fields and wrong types refused)', () => {
    for (const name of Object.keys(commands) as (keyof typeof commands)[]) {
      expect(() => validateArgs(name, { surplus: 1 }), name).toThrow(AdminFailure);
      expect(() => validateArgs(name, 'a string'), name).toThrow(AdminFailure);
    }
    expect(validateArgs('users.keys.remove', { user: 'kim', all: true })).toEqual({ user: 'kim', all: true });
    expect(() => validateArgs('users.keys.remove', { user: 'kim', id: 'k', all: true })).toThrow(/invalid|Unrecognized|unrecognized/i);
    expect(() => validateArgs('certs.revoke', { serial: 'zz', by: 'it' })).toThrow(/serial/);
    expect(() => validateArgs('tokens.issue', { user: 'kim', ttlMs: 1e15, createdBy: 'it' })).toThrow(/ttlMs/);
  });
});

describe('admin channel with the real dispatcher: hostile input', () => {
  it('answers garbage, truncated, oversized, unknown and wrongly typed requests with a code and keeps serving', async () => {
    const { path } = await serve();
    // One connection, many bad frames: each answered in order with its code; the connection keeps working.
    const bad = await raw(path, [
      '\u0000\u00ff garbage\n',
      '[1,2,3]\n',
      'null\n',
      '{"id":1}\n',
      '{"id":"x","cmd":"users.list"}\n',
      '{"id":2,"cmd":42}\n',
      '{"id":3,"cmd":"users.list","args":{},"extra":true}\n',
      '{"id":4,"cmd":"frobnicate"}\n',
      '{"id":5,"cmd":"__proto__"}\n',
      '{"id":6,"cmd":"audit","args":{"type":"logon.success","data":{"user":"ceo"}}}\n',
      '{"id":7,"cmd":"users.keys.list","args":{"user":["kim"]}}\n',
      '{"id":8,"cmd":"users.add","args":{"user":"kim","role":"Trader","password":12345678}}\n',
      '{"id":9,"cmd":"tokens.revoke","args":"id"}\n',
      `{"id":12,"cmd":"users.list","args":${'['.repeat(30_000)}${']'.repeat(30_000)}}\n`,
      '{"id":10,"cmd":"sessions.list"}\n',
      '{"id":11,"cmd":"users.list"}\n',
    ], 16);
    expect(bad.frames.map((f) => [f.id, f.ok ? 'ok' : f.error!.code])).toEqual([
      [null, 'malformed-request'], [null, 'malformed-request'], [null, 'malformed-request'], [1, 'malformed-request'],
      [null, 'malformed-request'], [2, 'malformed-request'], [3, 'malformed-request'],
      [4, 'unknown-command'], [5, 'unknown-command'], [6, 'unknown-command'],
      [7, 'invalid-arguments'], [8, 'invalid-arguments'], [9, 'invalid-arguments'], [12, 'invalid-arguments'],
      [10, 'not-running'], [11, 'ok'],
    ]);
    expect(bad.frames[0]!.error!.message).toMatch(/not valid JSON/);
    expect(bad.frames[1]!.error!.message).toMatch(/JSON object/);
    expect(bad.frames[10]!.error!.message).toMatch(/^users\.keys\.list: user:/);
    expect(bad.frames[15]!.result).toEqual([]);

    // A truncated frame (no newline) followed by its rest is one request; one cut off by a close is dropped.
    const split = await raw(path, ['{"id":20,"cmd":"tok', 'ens.list"}\n'], 1);
    expect(split.frames).toEqual([{ id: 20, ok: true, result: [] }]);
    const cut = await new Promise<boolean>((resolve) => {
      const c = createConnection(path, () => c.end('{"id":21,"cmd":"users.li'));
      c.on('data', () => resolve(false));
      c.on('close', () => resolve(true));
    });
    expect(cut).toBe(true);

    // An oversized frame is refused and that connection closed (no frame boundary can be trusted after it) ...
    const big = await raw(path, [`{"id":30,"cmd":"users.list","args":{"x":"${'a'.repeat(MAX_FRAME_BYTES)}"}}\n`], 5);
    expect(big.closed).toBe(true);
    expect(big.frames).toHaveLength(1);
    expect(big.frames[0]).toMatchObject({ id: null, ok: false, error: { code: 'malformed-request', message: expect.stringMatching(/over 65536 bytes/) } });
    const endless = await raw(path, ['{"id":31,', 'x'.repeat(MAX_FRAME_BYTES + 10)], 5);
    expect(endless.closed).toBe(true);
    expect(endless.frames[0]?.error?.code).toBe('malformed-request');

    // ... while every other connection, and new ones, keep being served — also while one sits on half a frame.
    const stalled = createConnection(path);
    await new Promise<void>((resolve) => stalled.on('connect', () => stalled.write('{"id":40,"cmd":"users.', () => resolve())));
    expect(await adminCall(path, 'users.list')).toEqual([]);
    stalled.destroy();
    await expect(adminCall(path, 'users.keys.list', { user: 'nobody' })).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/no user nobody/) });
  });

  it('never lets a request write an event of its choosing into the audit chain (issue 10 item 12)', async () => {
    const { path, cfg } = await serve();
    for (const args of [{ type: 'logon.success', data: { user: 'ceo' } }, { type: 'cert.revoked' }, {}]) {
      await expect(adminCall(path, 'audit', args)).rejects.toMatchObject({ code: 'unknown-command' });
    }
    await expect(adminCall(path, 'users.list', { type: 'logon.success' })).rejects.toMatchObject({ code: 'invalid-arguments' });
    const types = readFileSync(cfg.paths.audit, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string; data: Record<string, unknown> }));
    // Refusals are recorded with fixed types and no request-chosen text.
    expect(new Set(types.map((t) => t.type))).toEqual(new Set(['admin.command-refused']));
    expect(JSON.stringify(types)).not.toMatch(/logon\.success|ceo|cert\.revoked/);
  });
});
