// Concurrent mutual-TLS FIX sessions held with heartbeats (goal: 2,000 on this 2-core machine), and the
// gateway's memory per session. Run by hand:
//   bash scripts/node.sh bench/gateway/sessions-bench.ts [sessions=2000] [holdSec=60] [heartBtInt=10]
// Each session: TLS 1.3 handshake with its own client certificate, Logon with password + an attestation bound
// to its channel, the gateway's full logon decision, then heartbeats both ways for the hold time.
import { MSG } from '../../fix/parley-protocol.ts';
import { TestClient } from '../../gateway/session/test-client.ts';
import { gatewayMemory, pool, prepare, startChild } from './harness.ts';

const N = Number(process.argv[2] ?? 2000);
const HOLD = Number(process.argv[3] ?? 60);
const HB = Number(process.argv[4] ?? 10);
const MB = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

console.log(`preparing ${N} users and client certificates...`);
const p = await prepare(N, { hashN: 1 << 14 });
const child = await startChild(p);
await new Promise((r) => setTimeout(r, 1000));
const before = await gatewayMemory(p);
const clientBefore = process.memoryUsage().rss;
const clients: TestClient[] = [];
let failed = 0;
const t0 = performance.now();
await pool(p.users, 32, async (u) => {
  try {
    const c = await TestClient.connect({ port: child.fixPort, ca: p.caPem, cert: u.cert, key: u.key, compId: u.compId, username: u.username, password: u.password, heartBtInt: HB });
    await c.waitFor(MSG.SecurityStatus, undefined, 120_000);
    clients.push(c);
  } catch (e) {
    failed++;
    if (failed <= 3) console.log(`  logon failed: ${(e as Error).message.slice(0, 200)}`);
  }
});
const connectSec = (performance.now() - t0) / 1000;
const established = await gatewayMemory(p);
console.log(`established ${clients.length}/${N} sessions in ${connectSec.toFixed(1)} s (${(clients.length / connectSec).toFixed(0)} logons/s, 32 in flight); holding ${HOLD} s with HeartBtInt=${HB}...`);
const hbBefore = clients.reduce((n, c) => n + c.events.length, 0);
await new Promise((r) => setTimeout(r, HOLD * 1000));
const held = await gatewayMemory(p);
const alive = clients.filter((c) => c.closedReason === undefined).length;
console.log('');
console.log(`sessions held ${HOLD} s with heartbeats:   ${alive}/${N} still logged on (gateway counts ${held.sessions}); ${failed} logons failed; session diagnostics during hold: ${clients.reduce((n, c) => n + c.events.length, 0) - hbBefore}`);
console.log(`gateway RSS      idle ${MB(before.rss)}   with sessions ${MB(held.rss)}   per session ${((held.rss - before.rss) / Math.max(1, held.sessions) / 1024).toFixed(1)} KiB`);
console.log(`gateway heap     idle ${MB(before.heapUsed)}   with sessions ${MB(held.heapUsed)}   per session ${((held.heapUsed - before.heapUsed) / Math.max(1, held.sessions) / 1024).toFixed(1)} KiB`);
console.log(`(at establishment: RSS ${MB(established.rss)}; client process RSS grew ${MB(process.memoryUsage().rss - clientBefore)} for ${clients.length} client sessions)`);
await pool(clients, 64, async (c) => { await c.close().catch(() => {}); });
await child.stop();
process.exit(0);
