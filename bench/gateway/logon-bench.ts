// Logons per second with attestation and policy (goal: 200/s). Each logon is a new TLS 1.3 connection with a
// client certificate, a Logon carrying password + an ES256 attestation bound to the channel, and the gateway's
// whole decision (certificate binding, scrypt password check, attestation signature/binding/freshness, posture
// policy, network + GeoIP, risk score, audit lines), ending when the client holds the ParleySecurityStatus.
// Run by hand: bash scripts/node.sh bench/gateway/logon-bench.ts [logons=400] [inFlight=16]
// It runs twice: users hashed with the default scrypt N=2^15, and with N=2^10 (to show what the rest costs).
import { MSG } from '../../fix/parley-protocol.ts';
import { TestClient } from '../../gateway/session/test-client.ts';
import { gatewayMemory, percentile, pool, prepare, startChild } from './harness.ts';

const K = Number(process.argv[2] ?? 400);
const C = Number(process.argv[3] ?? 16);

async function run(label: string, hashN: number | undefined): Promise<void> {
  const p = await prepare(C, hashN ? { hashN } : {});
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
  lat.sort((a, b) => a - b);
  // The gateway's own CPU per logon (main thread + libuv pool, where scrypt runs) bounds what 2 cores can do.
  console.log(`${label.padEnd(40)} ${(K / sec).toFixed(0).padStart(5)} logons/s  p50 ${percentile(lat, 0.5).toFixed(0).padStart(5)} ms  p99 ${percentile(lat, 0.99).toFixed(0).padStart(5)} ms   gateway CPU ${cpuPer.toFixed(1)} ms/logon → ${(2000 / cpuPer).toFixed(0)}/s on 2 cores`);
  await child.stop();
}

console.log(`${K} logons, ${C} in flight, gateway in its own process (Node ${process.version})`);
if (process.env.BENCH_ONLY !== 'cheap') await run('password scrypt N=2^15 (default hash)', undefined);
await run('password scrypt N=2^10 (cheap hash)', 1 << 10);
process.exit(0);
