import { mkdtempSync, mkdirSync, cpSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDevPki } from '../fix/pki/devpki.ts';
import { parseConfig } from './config.ts';
import { Gateway } from './server.ts';

describe('gateway start-up refusals', () => {
  it('names the missing PKI file, and the invalid policy file, and starts nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-start-'));
    await expect(Gateway.start(parseConfig({ dataDir: join(dir, 'data'), pki: { dir: join(dir, 'nope') } }, join(dir, 'gw.json')), { log: () => {} }))
      .rejects.toThrow(/CA certificate .*nope\/ca\.crt\.pem: ENOENT/);

    await createDevPki(join(dir, 'pki'), { clients: [] });
    const policy = join(dir, 'policy');
    mkdirSync(policy);
    cpSync(new URL('./policy/default', import.meta.url).pathname, policy, { recursive: true });
    writeFileSync(join(policy, 'zz-bad.cedar'), 'permit (principal, action, resource) when { 1 + };');
    const cfg = parseConfig({ dataDir: join(dir, 'data'), pki: { dir: join(dir, 'pki') }, policy: { dir: policy } }, join(dir, 'gw.json'));
    await expect(Gateway.start(cfg, { log: () => {} })).rejects.toThrow(/zz-bad\.cedar/);
    // Nothing was left listening: a second start with a good policy gets the admin socket.
    const ok = await Gateway.start(parseConfig({ dataDir: join(dir, 'data'), pki: { dir: join(dir, 'pki') } }, join(dir, 'gw.json')), { log: () => {} });
    expect(ok.fixPort).toBeGreaterThan(0);
    await ok.close();
  });
});
