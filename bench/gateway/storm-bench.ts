// A logon storm against live trading (issue 17 goal 3): logged-on traders run RFQ round trips (QuoteRequest →
// first Quote) back to back while idle sessions with HeartBtInt=1 s count the gateway's heartbeats; after an idle
// phase, `storm` logons arrive at once (from a separate process) and pay scrypt N=2^15 (credential cache off).
// Reported in the same run: quote latency idle vs during the storm (goal: storm p99 ≤ 2× idle p99), heartbeat
// gaps (late: ≥ 1.2 × HeartBtInt, when the peer would send a TestRequest), and how the storm's logons ended
// (password checked / "busy, retry" / anything else).
// Run by hand: bash scripts/node.sh bench/gateway/storm-bench.ts [storm=200] [traders=8] [idleSec=8]
// BENCH_KDF='{"kdfWorkers":1,"kdfQueue":32}' passes identity settings (omit on a tree without the pool).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { MSG, readStepUpChallenge, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { TestClient, totpCode } from '../../gateway/session/test-client.ts';
import { percentile, prepare, startChild, type BenchUser } from './harness.ts';

const STORM = Number(process.argv[2] ?? 200);
const TRADERS = Number(process.argv[3] ?? 8);
const IDLE_SEC = Number(process.argv[4] ?? 8);
const HB_SESSIONS = 4;
const la = () => loadavg().map((n) => n.toFixed(2)).join(' ');
console.log(`logon storm vs live trading: ${STORM} logons at once, ${TRADERS} trading sessions, ${HB_SESSIONS} heartbeat sessions (HeartBtInt 1 s); Node ${process.version}; load average at start ${la()}`);

const kdf = process.env.BENCH_KDF ? JSON.parse(process.env.BENCH_KDF) as Record<string, unknown> : {};
const p = await prepare(TRADERS + HB_SESSIONS + STORM, { hashN: 1 << 15, config: { risk: {}, identity: { scrypt: { N: 1 << 15 }, credentialCacheTtlSec: 0, ...kdf } } });
process.env.BENCH_LOGON_LIMITS = 'off';
const child = await startChild(p);

async function logOn(u: BenchUser, heartBtInt = 30): Promise<TestClient> {
  const c = await TestClient.connect({ port: child.fixPort, ca: p.caPem, cert: u.cert, key: u.key, compId: u.compId, username: u.username, password: u.password, heartBtInt });
  const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge, undefined, 60_000));
  c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: totpCode(u.totpSecret) }));
  await c.waitFor(MSG.SecurityStatus, undefined, 60_000);
  return c;
}
const traders: TestClient[] = [];
for (const u of p.users.slice(0, TRADERS)) traders.push(await logOn(u));
const hbClients: TestClient[] = [];
for (const u of p.users.slice(TRADERS, TRADERS + HB_SESSIONS)) hbClients.push(await logOn(u, 1));

type Phase = 'idle' | 'storm';
let phase: Phase | 'warm' | 'done' = 'warm';
const lat: Record<Phase, number[]> = { idle: [], storm: [] };
const gaps: Record<Phase, number[]> = { idle: [], storm: [] };
for (const c of hbClients) {
  let last = performance.now();
  c.conn.socket.on('data', () => {
    const now = performance.now();
    if (phase === 'idle' || phase === 'storm') gaps[phase].push(now - last);
    last = now;
  });
}
const body = (id: string) => [{ tag: 131, value: id }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }];
const loops = traders.map(async (c, k) => {
  for (let i = 0; phase !== 'done'; i++) {
    const id = `T${k}-${i}`;
    const t = performance.now();
    const at = phase;
    c.send('R', body(id));
    await c.waitFor('S', (m) => m.get(131) === id, 60_000);
    if (at === phase && (at === 'idle' || at === 'storm')) lat[at].push(performance.now() - t);
    c.received.length = 0;
  }
});

await new Promise((r) => setTimeout(r, 2000));
phase = 'idle';
await new Promise((r) => setTimeout(r, IDLE_SEC * 1000));
const jobFile = join(p.dir, 'storm.json');
writeFileSync(jobFile, JSON.stringify({ port: child.fixPort, ca: p.caPem, users: p.users.slice(TRADERS + HB_SESSIONS) }));
const laStorm = la();
phase = 'storm';
const storm = await new Promise<{ ms: number; outcomes: Record<string, number>; texts: string[] }>((resolve, reject) => {
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', new URL('./storm-child.ts', import.meta.url).pathname, jobFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { ms: number; outcomes: Record<string, number>; texts: string[] }) : reject(new Error(`storm child exited ${code}`))));
});
phase = 'done';
await Promise.all(loops);

const f = (x: number) => `${(x * 1000).toFixed(0).padStart(7)} µs`;
console.log(`storm: ${STORM} logons in ${(storm.ms / 1000).toFixed(1)} s — password checked ${storm.outcomes.checked}, "busy, retry" ${storm.outcomes.busy}, other ${storm.outcomes.other}${storm.texts.length ? ` (${storm.texts.join(' | ')})` : ''}; load average as it began ${laStorm}`);
console.log(`                                      RFQs       p50         p99         max`);
for (const ph of ['idle', 'storm'] as const) {
  const s = lat[ph].sort((a, b) => a - b);
  console.log(`quote round trip, ${ph.padEnd(6)}            ${String(s.length).padStart(6)} ${f(percentile(s, 0.5))} ${f(percentile(s, 0.99))} ${f(s.at(-1) ?? 0)}`);
}
const r99 = percentile(lat.storm, 0.99) / percentile(lat.idle, 0.99);
console.log(`storm p99 / idle p99: ${r99.toFixed(2)}x (goal ≤ 2x); storm p50 / idle p50: ${(percentile(lat.storm, 0.5) / percentile(lat.idle, 0.5)).toFixed(2)}x`);
for (const ph of ['idle', 'storm'] as const) {
  const g = gaps[ph];
  console.log(`heartbeats, ${ph.padEnd(6)}: ${g.length} received, max gap ${(Math.max(0, ...g) / 1000).toFixed(2)} s, late (≥ 1.2 s) ${g.filter((x) => x >= 1200).length}`);
}
console.log(`load average at end ${la()}`);
for (const c of [...traders, ...hbClients]) await c.close().catch(() => {});
await child.stop();
process.exit(0);
