// Logons per second with attestation and policy (goal: 200/s). Each logon is a new TLS 1.3 connection with a
// client certificate, a Logon carrying password + an ES256 attestation bound to the channel, and the gateway's
// whole decision (certificate binding, scrypt password check, attestation signature/binding/freshness, posture
// policy, network + GeoIP, risk score, audit lines), ending when the client holds the ParleySecurityStatus.
// Run by hand: bash scripts/node.sh bench/gateway/logon-bench.ts [logons=400] [inFlight=16]
// It runs three times: cold (default scrypt N=2^15, the verified-credential cache off, so every logon pays
// scrypt), warm (the same hash, cache on: after the warm-up every logon is a reconnect within the TTL and
// skips scrypt), and the cheap hash N=2^10 with the cache off (to show what the rest of a logon costs).
// BENCH_ONLY=cold|warm|cheap runs one.
import { MSG } from '../../fix/parley-protocol.ts';
import { TestClient } from '../../gateway/session/test-client.ts';
import { adminCall } from '../../gateway/admin/channel.ts';
import { gatewayMemory, percentile, pool, prepare, startChild } from './harness.ts';

const K = Number(process.argv[2] ?? 400);
const C = Number(process.argv[3] ?? 16);

async function run(label: string, hashN: number | undefined, cacheTtlSec: number): Promise<void> {
  const p = await prepare(C, { ...(hashN ? { hashN } : {}), config: { identity: { credentialCacheTtlSec: cacheTtlSec } } });
  const child = await startChild(p);
  const lat: number[] = [];
  const once = async (w: number) => {
    const u = p.users[w]!;
    const t = performance.now();
    const c = await TestClient.connect({ port: child.fixPort, ca: p.caPem, cert: u.cert, key: u.key, compId: u.compId, username: u.username, password: u.password });
    await c.waitFor(MSG.SecurityStatus, undefined, 60_000);
    lat.push(performance.now() - t);
    await c.close();
  };
  // Warm-up, then the measured run: worker w always uses user w, so no CompID is logged on twice at once.
  await pool(Array.from({ length: C }, (_, i) => i), C, async (w) => { await once(w); });
  lat.length = 0;
  const jobs = Array.from({ length: K }, (_, i) => i % C);
  const perWorker = Array.from({ length: C }, (_, w) => jobs.filter((j) => j === w));
  const cpu0 = (await gatewayMemory(p)).cpuMs;
  const t0 = performance.now();
  await Promise.all(perWorker.map(async (list, w) => { for (const _ of list) await once(w); }));
  const sec = (performance.now() - t0) / 1000;
  const cpuPer = ((await gatewayMemory(p)).cpuMs - cpu0) / K;
  const cache = (await adminCall(p.adminSocket, 'status') as { credentialCache: { hits: number; misses: number } }).credentialCache;
  lat.sort((a, b) => a - b);
  // The gateway's own CPU per logon (main thread + libuv pool, where scrypt runs) bounds what 2 cores can do.
  console.log(`${label.padEnd(40)} ${(K / sec).toFixed(0).padStart(5)} logons/s  p50 ${percentile(lat, 0.5).toFixed(0).padStart(5)} ms  p99 ${percentile(lat, 0.99).toFixed(0).padStart(5)} ms   gateway CPU ${cpuPer.toFixed(1)} ms/logon → ${(2000 / cpuPer).toFixed(0)}/s on 2 cores   cache hits ${cache.hits}/${cache.hits + cache.misses}`);
  await child.stop();
}

console.log(`${K} logons, ${C} in flight, gateway in its own process (Node ${process.version})`);
const only = process.env.BENCH_ONLY;
if (!only || only === 'cold') await run('cold: scrypt N=2^15 every logon', undefined, 0);
if (!only || only === 'warm') await run('warm: N=2^15, verified-credential cache', undefined, 900);
if (!only || only === 'cheap') await run('scrypt N=2^10 every logon (cheap hash)', 1 << 10, 0);
process.exit(0);
