import { mkdtempSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminServer, adminCall } from './channel.ts';

function raw(path: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => { buf += d; if (buf.includes('\n')) { c.destroy(); resolve(buf); } });
    c.on('close', () => resolve(buf));
    c.write(text);
  });
}

describe('admin channel', () => {
  it('answers commands over a 0600 unix socket and survives garbage', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'adm-')), 'admin.sock');
    const srv = await AdminServer.listen(path, (cmd, args) => {
      if (cmd === 'echo') return args;
      throw new Error(`unknown command ${cmd}`);
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await adminCall(path, 'echo', { a: 1 })).toEqual({ a: 1 });
    await expect(adminCall(path, 'nope')).rejects.toThrow(/unknown command nope/);
    expect(await raw(path, '\u0000garbage\n')).toMatch(/not valid JSON/);
    expect(await raw(path, '[1,2]\n')).toMatch(/JSON object/);
    expect(await raw(path, `${'x'.repeat(70_000)}`)).toMatch(/over/);
    expect(await adminCall(path, 'echo', { still: 'alive' })).toEqual({ still: 'alive' });
    await expect(AdminServer.listen(path, () => null)).rejects.toThrow(/already listening/);
    await srv.close();
    await expect(adminCall(path, 'echo')).rejects.toThrow(/not running/);
  });
});
