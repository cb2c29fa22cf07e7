// The logon storm of storm-bench.ts, from a process of its own (so the storm's client-side TLS and signing do
// not run on the event loop that times the traders' quotes): every user of the JSON file at argv[2] logs on at
// once; a logon ends at the step-up challenge (its password was checked) or at the gateway's Logout. Prints one
// JSON line: { ms, outcomes: { checked, busy, other }, texts (the first few other texts) }.
import { readFileSync } from 'node:fs';
import { MSG, readLogoutDecision } from '../../fix/parley-protocol.ts';
import { TestClient } from '../../gateway/session/test-client.ts';

type Job = { port: number; ca: string; users: { username: string; compId: string; password: string; cert: string; key: string }[] };
const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job;
const outcomes = { checked: 0, busy: 0, other: 0 };
const texts: string[] = [];
const t0 = performance.now();
await Promise.all(job.users.map(async (u) => {
  let c: TestClient | undefined;
  try {
    c = await TestClient.connect({ port: job.port, ca: job.ca, cert: u.cert, key: u.key, compId: u.compId, username: u.username, password: u.password });
    const done = await Promise.race([
      c.waitFor(MSG.StepUpChallenge, undefined, 120_000).then(() => 'checked' as const),
      c.waitFor(MSG.SecurityStatus, undefined, 120_000).then(() => 'checked' as const),
      c.closed(120_000).then(() => (c!.logoutMessage && readLogoutDecision(c!.logoutMessage)?.reason === 'busy, retry' ? 'busy' as const : 'other' as const)),
    ]).catch(() => 'other' as const);
    outcomes[done]++;
    if (done === 'other' && texts.length < 5) texts.push(c.logoutText ?? c.closedReason ?? 'no answer');
  } catch (e) {
    outcomes.other++;
    if (texts.length < 5) texts.push((e as Error).message);
  } finally {
    await c?.close().catch(() => {});
  }
}));
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, outcomes, texts })}\n`);
process.exit(0);
