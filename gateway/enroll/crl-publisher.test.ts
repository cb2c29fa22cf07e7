/**
 * The published CRL (issue 10 item 6): re-issued on its own well before nextUpdate, alerted and retried when it
 * cannot be, served from the cache otherwise. Time is a hand-driven clock: nothing here waits.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { GatewayCa } from './ca.ts';
import { CrlPublisher, type CrlEvent } from './crl-publisher.ts';
import { fakeClock } from './fake-clock.ts';
import { CertRegistry } from './registry.ts';
import { testCa } from './test-pki.ts';

const MIN = 60_000;

async function setup(validityMs: number) {
  const pki = await testCa();
  const dir = mkdtempSync(join(tmpdir(), 'crl-pub-'));
  const ca = await GatewayCa.load(pki.caCert, pki.caKey);
  const registry = new CertRegistry({ issued: join(dir, 'issued.jsonl'), revoked: join(dir, 'revoked.json'), crl: join(dir, 'crl.pem') });
  const clock = fakeClock();
  const events: CrlEvent[] = [];
  const pub = new CrlPublisher({ registry, ca, validityMs, clock, onEvent: (e) => events.push(e) });
  return { pki, ca, registry, clock, events, pub, dir };
}
/**
 * Lets the re-issue the timer started finish. The signature runs on libuv's thread pool, so on a loaded machine it
 * can outlast any number of event-loop turns: poll on real time (generously bounded), not on a count of turns.
 */
async function settled(events: CrlEvent[], n: number): Promise<void> {
  for (let i = 0; i < 6_000 && events.length < n; i++) await new Promise((r) => setTimeout(r, 5));
  if (events.length < n) throw new Error(`expected ${n} CRL events, got ${events.length}`);
}

describe('CRL publisher', () => {
  it('re-issues at half the validity, so the CRL in force never reaches its nextUpdate', async () => {
    const { clock, events, pub, pki } = await setup(10 * MIN);
    await pub.start();
    const first = new x509.X509Crl(pub.current());
    expect(first.nextUpdate!.getTime() - first.thisUpdate.getTime()).toBe(10 * MIN);
    expect(clock.pending()).toEqual([5 * MIN]);
    for (let round = 1; round <= 4; round++) {
      clock.advance(5 * MIN);
      await settled(events, round + 1);
      const crl = new x509.X509Crl(pub.current());
      expect(crl.thisUpdate.getTime()).toBe(clock.now().getTime());
      // The CRL in force always has at least half its validity left.
      expect(crl.nextUpdate!.getTime() - clock.now().getTime()).toBe(10 * MIN);
      expect(await crl.verify({ publicKey: new x509.X509Certificate(pki.caCert) })).toBe(true);
    }
    expect(events.map((e) => `${e.type}:${e.data.reason}`)).toEqual(['crl.reissued:start', ...Array(4).fill('crl.reissued:timer')]);
    expect(events.every((e) => !e.alert)).toBe(true);
    pub.stop();
    expect(clock.pending()).toEqual([]);
  });

  it('alerts when it cannot re-issue, retries inside the remaining validity, and recovers', async () => {
    const { clock, events, pub, registry } = await setup(10 * MIN);
    await pub.start();
    const good = pub.current();
    // The revocation list becomes unreadable (a torn write by hand, a full disk…): signing fails.
    const reload = registry.reload.bind(registry);
    let broken = true;
    registry.reload = () => { if (broken) throw new Error('revoked.json: unexpected end of JSON input'); reload(); };
    clock.advance(5 * MIN);
    await settled(events, 2);
    expect(events[1]).toMatchObject({ type: 'crl.reissue-failed', alert: true, data: { failures: 1, msLeft: 5 * MIN } });
    expect(pub.current()).toBe(good);
    const retry = clock.pending()[0]!;
    expect(retry).toBeLessThanOrEqual(MIN);
    clock.advance(retry);
    await settled(events, 3);
    expect(events[2]).toMatchObject({ type: 'crl.reissue-failed', alert: true, data: { failures: 2 } });
    broken = false;
    clock.advance(clock.pending()[0]!);
    await settled(events, 4);
    expect(events[3]).toMatchObject({ type: 'crl.reissued', data: { reason: 'timer' } });
    expect(new x509.X509Crl(pub.current()).nextUpdate!.getTime()).toBe(clock.now().getTime() + 10 * MIN);
    pub.stop();
  });

  it('serves the cached CRL without signing or rewriting it, and adopts one rewritten on disk', async () => {
    const { pub, registry, ca, events } = await setup(10 * MIN);
    await pub.start();
    const file = registry.crlFile!;
    const before = statSync(file).mtimeMs;
    const first = pub.current();
    for (let i = 0; i < 200; i++) expect(pub.current()).toBe(first);
    expect(statSync(file).mtimeMs).toBe(before);
    expect(events).toHaveLength(1);
    // An offline revocation by the admin CLI signs and writes crl.pem itself: the publisher serves that one.
    const offline = await registry.revoke(ca, '0badc0ffee', 'keyCompromise', 'admin');
    expect(pub.current()).toBe(offline);
    expect(new x509.X509Crl(pub.current()).findRevoked('0badc0ffee')).not.toBeNull();
    pub.stop();
  });

  it('leaves expired certificates out of the CRL (renewals revoke their predecessors: it must not grow forever)', async () => {
    const { pub, registry, clock, events } = await setup(10 * MIN);
    const base = { user: 'u', compId: 'U', subject: 'CN=U', issuedAt: clock.now().toISOString(), fingerprint256: 'x', via: 'enroll' as const };
    registry.recordIssued({ ...base, serial: 'aa01', notAfter: new Date(clock.now().getTime() + 60 * MIN).toISOString() });
    registry.recordIssued({ ...base, serial: 'aa02', notAfter: new Date(clock.now().getTime() + 1 * MIN).toISOString() });
    registry.revokeSerials(['aa01', 'aa02', 'dd03'], 'superseded', 'test', clock.now());
    await pub.start();
    const listed = (pem: string) => new x509.X509Crl(pem).entries.map((e) => e.serialNumber.replace(/^0+/, '')).sort();
    expect(listed(pub.current())).toEqual(['aa01', 'aa02', 'dd03']);
    clock.advance(5 * MIN);
    await settled(events, 2);
    // aa02 expired; dd03 was not issued here (no known expiry) and stays.
    expect(listed(pub.current())).toEqual(['aa01', 'dd03']);
    pub.stop();
  });
});
