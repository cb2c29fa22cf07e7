// RFQ round trip over mutual TLS on loopback: QuoteRequest sent → first Quote received (dealer delay 0), p50/p99,
// side by side in the same run with a bare mutual-TLS echo of the same QuoteRequest bytes (goal: p99 within 2x
// the echo). The gateway path includes FIX decode + validation, the rate limit, the Cedar access decision, the
// desk, Quote encode, and the audit line. Run by hand: bash scripts/node.sh bench/gateway/rfq-bench.ts [n=2000]
import { connect } from 'node:tls';
import { encodeMessage } from '../../fix/codec.ts';
import { MSG, readStepUpChallenge, stepUpResponseFields, utcTimestamp } from '../../fix/parley-protocol.ts';
import { TestClient, totpCode } from '../../gateway/session/test-client.ts';
import { percentile, prepare, startChild } from './harness.ts';

const N = Number(process.argv[2] ?? 2000);
const p = await prepare(1, { hashN: 1 << 10, config: { risk: {} } });
const child = await startChild(p, { echo: true });
const u = p.users[0]!;

const c = await TestClient.connect({ port: child.fixPort, ca: p.caPem, cert: u.cert, key: u.key, compId: u.compId, username: u.username, password: u.password });
const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: totpCode(u.totpSecret) }));
await c.waitFor(MSG.SecurityStatus);

const body = (i: number) => [{ tag: 131, value: `R${i}` }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }];
async function gatewayRtt(i: number): Promise<number> {
  const t = performance.now();
  c.send('R', body(i));
  await c.waitFor('S', (m) => m.get(131) === `R${i}`);
  const dt = performance.now() - t;
  c.received.length = 0; // keep the client's record small over thousands of round trips
  return dt;
}

const echo = await new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
  const s = connect({ host: '127.0.0.1', port: child.echoPort!, ca: p.caPem, cert: u.cert, key: u.key, servername: 'localhost', minVersion: 'TLSv1.3' }, () => resolve(s));
  s.once('error', reject);
});
let pending: { need: number; got: number; done: () => void } | null = null;
echo.on('data', (d: Buffer) => {
  if (!pending) return;
  pending.got += d.length;
  if (pending.got >= pending.need) { const q = pending; pending = null; q.done(); }
});
async function echoRtt(i: number): Promise<number> {
  // The same bytes the gateway gets: a complete, encoded QuoteRequest with its header.
  const bytes = encodeMessage('FIX.4.4', [{ tag: 35, value: 'R' }, { tag: 34, value: String(i + 10) }, { tag: 49, value: u.compId }, { tag: 52, value: utcTimestamp(new Date()) }, { tag: 56, value: 'PARLEY' }, ...body(i)]);
  const t = performance.now();
  await new Promise<void>((resolve) => { pending = { need: bytes.length, got: 0, done: resolve }; echo.write(bytes); });
  return performance.now() - t;
}

// Warm up both, then interleave them so machine noise hits both alike.
for (let i = 0; i < 200; i++) { await gatewayRtt(-i - 1); await echoRtt(i); }
const g: number[] = [];
const e: number[] = [];
for (let i = 0; i < N; i++) { g.push(await gatewayRtt(i)); e.push(await echoRtt(i)); }
g.sort((a, b) => a - b);
e.sort((a, b) => a - b);
const f = (x: number) => `${(x * 1000).toFixed(0).padStart(6)} µs`;
console.log(`${N} round trips each, interleaved, one session, loopback, TLS 1.3 mutual auth (Node ${process.version})`);
console.log(`                                          p50        p99       max`);
console.log(`RFQ: QuoteRequest → first Quote      ${f(percentile(g, 0.5))} ${f(percentile(g, 0.99))} ${f(g[g.length - 1]!)}`);
console.log(`bare TLS echo of the same bytes      ${f(percentile(e, 0.5))} ${f(percentile(e, 0.99))} ${f(e[e.length - 1]!)}`);
console.log(`ratio (gateway / echo)               ${(percentile(g, 0.5) / percentile(e, 0.5)).toFixed(2)}x     ${(percentile(g, 0.99) / percentile(e, 0.99)).toFixed(2)}x`);
echo.destroy();
await c.close();
await child.stop();
process.exit(0);
