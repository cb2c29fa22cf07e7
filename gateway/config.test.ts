import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.ts';

function fileWith(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'gwcfg-')), 'gateway.json');
  writeFileSync(f, text);
  return f;
}
function errorOf(fn: () => unknown): ConfigError {
  try { fn(); } catch (e) { if (e instanceof ConfigError) return e; throw e; }
  throw new Error('expected a ConfigError');
}

describe('gateway config', () => {
  it('an empty object is a working config with embedded defaults', () => {
    const c = parseConfig({}, '<inline>');
    expect(c.listen.host).toBe('127.0.0.1');
    expect(c.listen.fixPort).toBe(0);
    expect(c.desk.dealers.length).toBeGreaterThan(0);
    expect(c.paths.trades.endsWith('trades.jsonl')).toBe(true);
  });

  it('loads the documented example', () => {
    const c = loadConfig(new URL('./example/gateway.json', import.meta.url).pathname);
    expect(c.desk.dealers.map((d) => d.name)).toEqual(['DLR1', 'DLR2', 'DLR3']);
    expect(c.paths.users).toMatch(/\.data\/gateway\/users\.json$/);
  });

  it('names the file, the field and what is wrong', () => {
    const f = fileWith(JSON.stringify({ desk: { dealers: [{ name: 'A', delayMs: -5 }] } }));
    const e = errorOf(() => loadConfig(f));
    expect(e.message).toContain(f);
    expect(e.issues[0]?.field).toBe('desk.dealers[0].delayMs');
    expect(e.message).toMatch(/desk\.dealers\[0\]\.delayMs: .*>=\s*0/);
  });

  it('refuses unknown keys (typos) by name', () => {
    const e = errorOf(() => parseConfig({ listen: { fixport: 1 } }, 'x.json'));
    expect(e.issues[0]?.field).toBe('listen.fixport');
  });

  it('validates the decision-core sections and names their fields', () => {
    expect(errorOf(() => parseConfig({ risk: { auth: { totp: -1 } } }, 'x.json')).issues[0]?.field).toBe('risk.auth.totp');
    expect(errorOf(() => parseConfig({ risk: { nope: {} } }, 'x.json')).issues[0]?.field).toBe('risk.nope');
    expect(errorOf(() => parseConfig({ posture: { maxDaysSinceLastPatch: 'x' } }, 'x.json')).issues[0]?.field).toMatch(/^posture\./);
    expect(errorOf(() => parseConfig({ network: { zones: { mars: ['10.0.0.0/8'] } } }, 'x.json')).issues[0]?.field).toBe('network.zones.mars');
    const c = parseConfig({ network: { corporate: ['192.168.0.0/16'] } }, 'x.json');
    expect(c.riskConfig.network.corporateCidrs).toEqual(['192.168.0.0/16']);
    expect(c.paths.policyDir).toMatch(/gateway\/policy\/default$/);
  });

  it('applies the alert sink\'s webhook rule: https, or http only to loopback', () => {
    for (const bad of ['http://alerts.example.com/hook', 'ftp://127.0.0.1/x', 'http://10.0.0.5/hook', 'not a url']) {
      const e = errorOf(() => parseConfig({ audit: { alertWebhook: bad } }, 'x.json'));
      expect(e.issues[0]?.field, bad).toBe('audit.alertWebhook');
    }
    expect(errorOf(() => parseConfig({ audit: { alertWebhook: 'http://alerts.example.com/hook' } }, 'x.json')).issues[0]?.message).toMatch(/https.*loopback/);
    for (const ok of ['https://alerts.example.com/hook', 'http://127.0.0.1:9000/hook', 'http://localhost/hook', 'http://[::1]/h']) {
      expect(parseConfig({ audit: { alertWebhook: ok } }, 'x.json').audit.alertWebhook).toBe(ok);
    }
  });

  it('agrees with the access policy on the notional limit, and bounds HeartBtInt', async () => {
    const c = parseConfig({}, '<inline>');
    const { AccessPolicy } = await import('./policy/engine.ts');
    const p = await AccessPolicy.load(c.paths.policyDir);
    expect(c.stepUp.rfqNotionalLimit).toBe(p.rfqNotionalLimit);
    expect(c.stepUp.rfqNotionalLimit).toBe(50_000_000);
    expect(c.fix.maxHeartBtIntSec).toBe(60);
    expect(errorOf(() => parseConfig({ fix: { heartBtIntSec: 30 } }, 'x.json')).issues[0]?.field).toBe('fix.heartBtIntSec');
  });

  it('listens on any IP address or host name (default loopback), and refuses anything else naming the field', () => {
    for (const host of ['0.0.0.0', '10.1.2.3', '198.18.0.1', '::', '::1', 'fd00::1', 'localhost', 'gw-1.corp.example.com']) {
      expect(parseConfig({ listen: { host } }, 'x.json').listen.host).toBe(host);
    }
    for (const host of ['', ' ', '10.0.0.1/8', 'http://gw', 'gw..example', '-gw', 'a'.repeat(300), 'gw\u0000x', '1.2.3.4 ; rm', 42]) {
      const e = errorOf(() => parseConfig({ listen: { host } }, 'x.json'));
      expect(e.issues[0]?.field, String(host)).toBe('listen.host');
    }
    expect(errorOf(() => parseConfig({ listen: { host: 'gw..example' } }, 'x.json')).issues[0]?.message).toMatch(/IP address .* or a host name/);
  });

  it('refuses garbage, truncated, hostile and oversized files', () => {
    expect(errorOf(() => loadConfig(fileWith('\u0000\u0001garbage'))).issues[0]?.field).toBe('(file)');
    expect(errorOf(() => loadConfig(fileWith('{"listen": {"host": '))).message).toMatch(/not valid JSON/);
    expect(errorOf(() => loadConfig(fileWith('[]'))).issues[0]?.field).toBe('(top level)');
    expect(errorOf(() => loadConfig(fileWith('{"__proto__": {"x": 1}}'))).issues.length).toBeGreaterThan(0);
    expect(errorOf(() => loadConfig(fileWith(' '.repeat(1_100_000)))).message).toMatch(/1 MiB/);
    expect(errorOf(() => loadConfig('/nonexistent/gw.json')).message).toMatch(/ENOENT/);
    expect(errorOf(() => parseConfig({ rateLimit: { messagesPerSec: 'fast' } }, 'x.json')).issues[0]?.field)
      .toBe('rateLimit.messagesPerSec');
  });
});
