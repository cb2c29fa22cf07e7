/**
 * Fast resume after a network change: a detected change (or a wake-up) starts the backoff over and reconnects
 * at once with a small jitter, instead of waiting out a delay grown while the old network was failing; failures
 * after that back off exponentially again. GatewaySession against a fix/ acceptor over real mutual TLS (dev PKI
 * generated at run time); the backoff's base is ten minutes, so only the fast path can reconnect within the test.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { createDevPki, type DevPki } from '../../fix/pki/devpki.ts';
import { acceptSession, SessionRegistry } from '../../fix/session.ts';
import { MemoryStore } from '../../fix/store.ts';
import { createFixsServer, type FixsServer } from '../../fix/transport.ts';
import type { ConnectionEvent } from '../ipc/contract.ts';
import { DeviceKey } from '../keychain/device-identity.ts';
import { Backoff } from './backoff.ts';
import { GatewaySession } from './gateway-session.ts';
import type { NetworkWatcher } from './network-watch.ts';
import { until } from '../testing/until.ts';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('reconnecting after a network change', () => {
  let dir: string;
  let pki: DevPki;
  let server: FixsServer;
  let port = 0;
  let session: GatewaySession;
  let logons = 0;
  const states: ConnectionEvent[] = [];
  const watcher = new EventEmitter() as EventEmitter & { start(): void; stop(): void };
  watcher.start = () => {};
  watcher.stop = () => {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parley-fast-resume-'));
    pki = await createDevPki(path.join(dir, 'pki'), { clients: ['ALICE'] });
    const store = new MemoryStore();
    const registry = new SessionRegistry();
    server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, (conn) => {
      const s = acceptSession(conn, {
        registry, takeOverSameCertificate: true,
        lookup: (peer, us) => (peer === 'ALICE' && us === 'PARLEY' ? { senderCompId: us, targetCompId: peer, heartBtInt: 30, store, dictionary: parleyDictionary() } : undefined),
        authorizeLogon: async () => { logons++; return { ok: true }; },
      });
      s.on('error', () => {});
    });
    port = await closedPort();
    const leaf = pki.clients.ALICE!.ec;
    session = new GatewaySession({
      dataDir: path.join(dir, 'client'),
      target: () => ({ host: '127.0.0.1', port, compId: 'PARLEY', caPem: [pki.caCertPem], spkiPins: [] }),
      identity: () => ({ key: DeviceKey.fromPem(leaf.keyPem), certificatePem: leaf.certPem, chainPem: [], compId: 'ALICE' }),
      attest: async () => 'jws.test',
      reattestIntervalSec: () => 3_600,
      // Ten minutes, growing: a reconnect inside this test can only come from the network-change path.
      backoff: new Backoff({ baseMs: 600_000, maxMs: 3_600_000 }),
      watcher: watcher as unknown as NetworkWatcher,
    });
    session.on('connection', (e) => states.push(e));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('waits out the backoff while the gateway is unreachable; a network change retries at once, then backs off from the base again', async () => {
    const first = await session.signIn('alice', 'pw');
    expect(first).toMatchObject({ state: 'reconnecting', reason: expect.stringMatching(/cannot reach the gateway/) });
    expect(first.retryInSec).toBeGreaterThanOrEqual(300);

    // Still unreachable after the change: the immediate retry fails, and the next delay is the base again
    // (not a grown one), announced as such.
    let seen = states.length;
    watcher.emit('change', { before: 'a', after: 'b' });
    const soon = await until(() => states.slice(seen).find((e) => e.state === 'reconnecting' && e.retryInSec !== undefined), 'the immediate retry');
    expect(soon.retryInSec).toBeLessThanOrEqual(1);
    const after = await until(() => states.slice(seen).find((e) => e.state === 'reconnecting' && (e.retryInSec ?? 0) >= 300), 'the backoff after the failed retry');
    expect(after.retryInSec).toBeLessThanOrEqual(600);
    expect(after.reason).toMatch(/cannot reach the gateway/);

    // The new network reaches the gateway: a change reconnects at once and logs on.
    port = server.port;
    seen = states.length;
    watcher.emit('change', { before: 'b', after: 'c' });
    await until(() => session.connection.state === 'connected', 'connected after the network change');
    expect(logons).toBe(1);
    expect(states.slice(seen).filter((e) => e.state === 'reconnecting' && (e.retryInSec ?? 0) > 1)).toEqual([]);
  });

  it('a wake-up while connected drops the stale connection and logs on again at once', async () => {
    const before = logons;
    const seen = states.length;
    watcher.emit('resume', { sleptMs: 3_600_000 });
    await until(() => logons > before && session.connection.state === 'connected', 'logged on again after the wake-up');
    const retries = states.slice(seen).filter((e) => e.state === 'reconnecting' && e.retryInSec !== undefined);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.every((e) => (e.retryInSec ?? 99) <= 1)).toBe(true);
  });
});
