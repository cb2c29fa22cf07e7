/**
 * A logon storm against a real gateway over mutual TLS (issue 17 goal 3): password hashing runs in the gateway's
 * bounded KdfPool; logons past its queue are refused at once with a structured DENY "busy, retry" (never a
 * queue without bound, never "wrong password"), a refused attempt does not count toward the lockout, and the
 * lockout still holds after the storm.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixMessage } from '../../fix/codec.ts';
import { parleyDictionary, readLogoutDecision, TAG } from '../../fix/parley-protocol.ts';
import { initiateSession, type FixSession } from '../../fix/session.ts';
import { MemoryStore } from '../../fix/store.ts';
import { connectFixs } from '../../fix/transport.ts';
import { KdfPool } from '../identity/kdf-pool.ts';
import { MAX_PASSWORD_FAILURES } from './logon-guard.ts';
import { LOGON_BUSY, LOGON_REFUSED } from './logon.ts';
import { startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  // One hashing worker, two waiting: a dozen logons at once are more than it takes.
  t = await startTestGateway({ identity: { kdfWorkers: 1, kdfQueue: 2, credentialCacheTtlSec: 0 } }, { memoryStores: true });
});
afterAll(async () => { await t?.close(); });

type Outcome = { loggedOn: boolean; text: string | undefined; decision: ReturnType<typeof readLogoutDecision> };

/** One TLS connection per (user, password), all Logons sent together; resolves when each is decided. */
async function logons(attempts: { username: string; password: string }[]): Promise<Outcome[]> {
  const conns = await Promise.all(attempts.map(({ username }) => {
    const leaf = t.pki.clients[t.users[username]!.compId]!.ec;
    return connectFixs({ host: '127.0.0.1', port: t.gw.fixPort, ca: t.pki.caCertPem, cert: leaf.certPem, key: leaf.keyPem, servername: 'localhost' });
  }));
  const sessions: FixSession[] = [];
  const outcomes = conns.map((conn, i) => new Promise<Outcome>((resolve) => {
    const { username, password } = attempts[i]!;
    const fix = initiateSession(conn, {
      senderCompId: t.users[username]!.compId, targetCompId: 'PARLEY', heartBtInt: 30, store: new MemoryStore(), dictionary: parleyDictionary(), resetOnLogon: true,
      logonFields: [{ tag: TAG.Username, value: username }, { tag: TAG.Password, value: password }],
    });
    sessions.push(fix);
    let text: string | undefined;
    let decision: Outcome['decision'];
    fix.on('error', () => {});
    fix.on('logon', () => resolve({ loggedOn: true, text: undefined, decision: undefined }));
    fix.on('logout', (tx: string | undefined, m: FixMessage) => { text = tx; decision = readLogoutDecision(m); });
    fix.on('closed', () => resolve({ loggedOn: false, text, decision }));
  }));
  const all = await Promise.all(outcomes);
  await Promise.all(sessions.map((s) => (s.state === 'active' ? s.logout('bye') : undefined)));
  return all;
}

const BUSY: Outcome = { loggedOn: false, text: `logon denied: ${LOGON_BUSY}`, decision: { decision: 'deny', scope: 'logon', factors: [], reason: LOGON_BUSY } };
const everyone = () => Object.keys(t.users);

async function auditText(re: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 400; i++) {
    text = readFileSync(t.gw.cfg.paths.audit, 'utf8');
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

describe('a logon storm meets a bounded hashing queue', () => {
  it('with every worker busy and the queue full, each logon is refused at once with a structured "busy, retry", uncounted', async () => {
    const real = t.gw.kdf;
    // A pool whose worker the test holds: "hang" jobs keep its one worker and its one queue place taken.
    const held = new KdfPool({ workers: 1, maxQueue: 1, jobTimeoutMs: 600_000, workerUrl: new URL('../identity/kdf-pool.fixture-worker.ts', import.meta.url) });
    const holding = [held.scrypt('hang', Buffer.alloc(16), 32, { N: 1024, r: 8, p: 1, maxmem: 1 << 26 }), held.scrypt('hang', Buffer.alloc(16), 32, { N: 1024, r: 8, p: 1, maxmem: 1 << 26 })].map((p) => p.catch(() => undefined));
    t.gw.kdf = held;
    try {
      expect(held.busy).toBe(true);
      const storm = await logons(everyone().map((username) => ({ username, password: t.users[username]!.password })));
      expect(storm).toEqual(Array(everyone().length).fill(BUSY));
      // Wrong passwords that could not be checked are no guesses: more of them than the lockout threshold...
      for (let i = 0; i < MAX_PASSWORD_FAILURES + 3; i++) expect(await logons([{ username: 'alice', password: `wrong-${i}` }])).toEqual([BUSY]);
      expect(held.stats().refused).toBe(everyone().length + MAX_PASSWORD_FAILURES + 3);
    } finally {
      t.gw.kdf = real;
      await held.close();
      await Promise.all(holding);
    }
    expect(await auditText(/"type":"logon.busy".*"username":"alice"/)).toMatch(/"type":"logon.busy"/);
    // ... so alice is not locked out, and gets in with her password once the pool has room.
    expect(await logons([{ username: 'alice', password: t.users.alice!.password }])).toEqual([{ loggedOn: true, text: undefined, decision: undefined }]);
  });

  it('the real pool: every logon of a storm is either checked or told to retry, and a retry gets in', async () => {
    const outcomes = await logons(everyone().map((username) => ({ username, password: t.users[username]!.password })));
    for (const o of outcomes) expect([true, BUSY.text]).toContain(o.loggedOn ? true : o.text);
    for (const o of outcomes.filter((x) => !x.loggedOn)) expect(o).toEqual(BUSY);
    expect(outcomes.filter((o) => o.loggedOn).length).toBeGreaterThanOrEqual(1);
    const retry = everyone().filter((_, i) => !outcomes[i]!.loggedOn);
    for (const username of retry) expect((await logons([{ username, password: t.users[username]!.password }]))[0]!.loggedOn).toBe(true);
    expect(t.gw.kdf.stats()).toMatchObject({ running: 0, queued: 0, crashes: 0 });
  });

  it('the lockout still holds after a storm: the threshold of wrong passwords locks the user, then the right one is refused', async () => {
    for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) {
      const [o] = await logons([{ username: 'bob', password: `wrong-${i}` }]);
      expect(o).toMatchObject({ loggedOn: false, text: `logon denied: ${LOGON_REFUSED}` });
    }
    expect(await auditText(/"kind":"logon.lockout".*"username":"bob"/)).toMatch(/logon.lockout/);
    expect(await logons([{ username: 'bob', password: t.users.bob!.password }])).toEqual([
      { loggedOn: false, text: `logon denied: ${LOGON_REFUSED}`, decision: { decision: 'deny', scope: 'logon', factors: [], reason: LOGON_REFUSED } }]);
  });
});
