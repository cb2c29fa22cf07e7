// Policy decisions per second: the gateway's per-request decision (scoreRisk + Cedar authorize on the shipped
// default policy), and each part alone. Run by hand: bash scripts/node.sh bench/gateway/policy-bench.ts
// A mix of requests covers the allow, step-up (second evaluation) and deny paths of the access table.
// Then the latency of single decisions (p50/p99 of each call timed alone) over a seeded "trading floor" workload:
// sessions of every role sending their actions with a fresh notional and a growing second-factor age each time,
// with the decision cache on and off (decisionCacheSize 0), alternating in the same run.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Role, User } from '../../gateway/identity/directory.ts';
import { AccessPolicy, type AccessRequest } from '../../gateway/policy/engine.ts';
import { DEFAULT_RISK_CONFIG, scoreRisk, type RiskContext } from '../../gateway/risk/score.ts';

function user(role: Role, i: number): User {
  return { username: `${role.replace(/ /g, '-').toLowerCase()}-${i}`, role, privileged: role === 'IT Admin', passwordHash: 'x',
    webauthnCredentials: [], expectedCountries: ['GB', 'US'], certSubjects: [], compIds: [] };
}

const base = { deviceCompliance: 'compliant', mfa: true, ip: '10.1.2.3' } as const;
const mix: AccessRequest[] = [
  { user: user('Trader', 1), action: 'CreateRfq', context: { ...base, network: 'corporate-lan', notional: 10_000_000 } }, // allow
  { user: user('Trader', 2), action: 'CreateRfq', context: { ...base, network: 'corporate-lan', notional: 80_000_000, mfaAgeSec: 3600 } }, // step-up
  { user: user('Trader', 3), action: 'ViewHistoricalTrades', context: { ...base, network: 'remote', ip: '198.51.100.4', country: 'GB' } }, // allow
  { user: user('Quant Analyst', 4), action: 'RfqAnalyticsApi', context: { ...base, network: 'production-analytics', mfa: false, serviceAccountAuth: true, ipAllowListed: true } },
  { user: user('Quant Analyst', 5), action: 'RfqAnalyticsApi', context: { ...base, network: 'dev-sandbox' } }, // deny
  { user: user('Risk Officer', 6), action: 'ViewAllOpenRfqs', context: { ...base, network: 'corporate-lan' } },
  { user: user('IT Admin', 7), action: 'SystemConfiguration', context: { ...base, network: 'paw', deviceCompliance: 'highly-compliant', jitGrant: true } },
  { user: user('Trader', 8), action: 'CreateRfq', context: { ...base, network: 'public-wifi', deviceCompliance: 'non-compliant', ip: '203.0.113.9' } }, // deny
];
const risks: RiskContext[] = mix.map((r, i) => ({
  user: r.user, strongestAuth: (['password', 'totp', 'webauthn'] as const)[i % 3]!, deviceCompliant: r.context.deviceCompliance !== 'non-compliant',
  deviceAttested: true, ip: r.context.ip, ...(r.context.country ? { country: r.context.country } : {}),
}));

// Each round reports wall-clock rate and rate per CPU-second of this process: on a shared 2-core machine the
// wall-clock figure mostly measures the neighbours; CPU time is what a decision costs.
function measure(name: string, op: (i: number) => void, minMs = 2000): { name: string; perSec: number; perCpuSec: number } {
  const warm = performance.now() + 500;
  let i = 0;
  while (performance.now() < warm) op(i++);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < minMs / 5) {
      for (let k = 0; k < 50; k++) op(n++);
      t1 = performance.now();
    }
    const c = process.cpuUsage(c0);
    wall.push(n / ((t1 - t0) / 1000));
    cpu.push(n / ((c.user + c.system) / 1e6));
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { name, perSec: wall[2]!, perCpuSec: cpu[2]! };
}

const POLICY_DIR = join(import.meta.dirname, '../../gateway/policy/default');
const asBefore = await AccessPolicy.load(POLICY_DIR, { decisionCacheSize: 0, pruneInputs: false }); // the engine before the cache
const policy = await AccessPolicy.load(POLICY_DIR, { decisionCacheSize: 0 });
const cached = await AccessPolicy.load(POLICY_DIR);
const outcomes = mix.map((r) => policy.authorize(r).decision);
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}; load average at start ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
console.log(`mix of ${mix.length} requests: ${outcomes.join(', ')}`);

const results = [
  measure('scoreRisk only', (i) => { scoreRisk(risks[i % risks.length]!, DEFAULT_RISK_CONFIG); }),
  measure('Cedar authorize (mix), as before: no cache, all inputs', (i) => { asBefore.authorize(mix[i % mix.length]!); }),
  measure('Cedar authorize only (mix), uncached', (i) => { policy.authorize(mix[i % mix.length]!); }),
  measure('Cedar authorize only (mix), decision cache', (i) => { cached.authorize(mix[i % mix.length]!); }),
  measure('Cedar authorize, allow path (row 1)', () => { policy.authorize(mix[0]!); }),
  measure('Cedar authorize, step-up path (2 evaluations)', () => { policy.authorize(mix[1]!); }),
  measure('full decision: scoreRisk + authorize (mix)', (i) => { scoreRisk(risks[i % risks.length]!); policy.authorize(mix[i % mix.length]!); }),
];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
console.log(`${'(median of 5 rounds)'.padEnd(48)} ${'wall-clock/s'.padStart(12)} ${'per CPU-s'.padStart(10)} ${'CPU µs each'.padStart(12)}`);
for (const r of results) console.log(`${r.name.padEnd(48)} ${fmt(r.perSec).padStart(12)} ${fmt(r.perCpuSec)} ${(1e6 / r.perCpuSec).toFixed(1).padStart(12)}`);

// --- single-decision latency on a seeded workload ---------------------------------------------------------------
/** mulberry32: a small seeded PRNG, so every run sees the same workload. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Work = { req: AccessRequest; risk: RiskContext };
function workload(n: number, sessions: number, seed: number): Work[] {
  const rnd = prng(seed);
  const out: Work[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.floor(rnd() * sessions);
    const row = mix[s % mix.length]!;
    const u = { ...row.user, username: `${row.user.username}-s${s}` };
    const ctx = { ...row.context };
    if (row.action === 'CreateRfq') ctx.notional = Math.floor(rnd() * 100_000_000) + 1; // a new RFQ size every time
    if (ctx.mfa) ctx.mfaAgeSec = Math.floor(rnd() * 3600); // seconds since the session's second factor
    const r = risks[s % risks.length]!;
    out.push({ req: { user: u, action: row.action, context: ctx }, risk: { ...r, user: u } });
  }
  return out;
}
function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const N = Number(process.argv[2] ?? 20_000);
const SESSIONS = Number(process.argv[3] ?? 200);
const work = workload(N, SESSIONS, 17);
type Which = 'before' | 'none' | 'cache';
const engines: Record<Which, AccessPolicy> = { before: asBefore, none: policy, cache: cached };
const lat: Record<Which, number[]> = { before: [], none: [], cache: [] };
const cpuUs: Record<Which, number> = { before: 0, none: 0, cache: 0 };
const CHUNK = 500; // alternate cached and uncached in chunks so machine noise hits both alike
for (let k = 0; k < work.length; k += CHUNK) {
  for (const which of ['before', 'none', 'cache'] as const) {
    const p = engines[which];
    const c0 = process.cpuUsage();
    for (let j = k; j < Math.min(work.length, k + CHUNK); j++) {
      const w = work[j]!;
      const t0 = performance.now();
      scoreRisk(w.risk, DEFAULT_RISK_CONFIG);
      p.authorize(w.req);
      lat[which].push((performance.now() - t0) * 1000);
    }
    const c = process.cpuUsage(c0);
    cpuUs[which] += c.user + c.system;
  }
}
console.log(`\nfull decision (scoreRisk + authorize), each call timed alone: ${N} decisions, ${SESSIONS} sessions, seeded workload`);
// "second half": once every session's few keys have been seen (a live session's steady state).
console.log(`${''.padEnd(44)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'max µs'.padStart(8)} ${'CPU µs/each'.padStart(12)}   second half: p50 / p99 µs`);
const LABEL: Record<Which, string> = { before: 'as before (no cache, every input to Cedar)', none: 'uncached, only the inputs policies read', cache: 'with the decision cache' };
for (const which of ['before', 'none', 'cache'] as const) {
  const half = lat[which].slice(lat[which].length / 2).sort((a, b) => a - b);
  const s = lat[which].sort((a, b) => a - b);
  console.log(`${LABEL[which].padEnd(44)} ${pct(s, 0.5).toFixed(1).padStart(8)} ${pct(s, 0.99).toFixed(1).padStart(8)} ${s.at(-1)!.toFixed(0).padStart(8)} ${(cpuUs[which] / N).toFixed(1).padStart(12)}   ${pct(half, 0.5).toFixed(1)} / ${pct(half, 0.99).toFixed(1)}`);
}
const st = cached.cacheStats();
if (st) console.log('decision cache:', JSON.stringify(st));
console.log(`load average at end ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
