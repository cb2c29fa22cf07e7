// Shared by the gateway benchmarks: a throwaway PKI, users and config in a temp dir, and the gateway in a
// child process (so its memory and CPU are its own), optionally with a bare mutual-TLS echo server beside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDevPki, issueCertificate } from '../../fix/pki/devpki.ts';
import { adminCall } from '../../gateway/admin/channel.ts';
import { hashPassword, UserDirectory } from '../../gateway/identity/directory.ts';
import { newTotpSecret } from '../../gateway/mfa/totp.ts';

export type BenchUser = { username: string; compId: string; password: string; cert: string; key: string; totpSecret: string };
export type Prepared = { dir: string; configFile: string; adminSocket: string; caPem: string; users: BenchUser[] };

/** n users, each with its own EC client certificate (CompID U<i>) and a password hashed at scrypt N. */
export async function prepare(n: number, o: { hashN?: number; config?: Record<string, unknown> } = {}): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const pkiDir = join(dir, 'pki');
  const pki = await createDevPki(pkiDir, { clients: [] });
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const directory = UserDirectory.empty(join(data, 'users.json'));
  const password = 'bench-password-1';
  const passwordHash = await hashPassword(password, o.hashN ? { N: o.hashN } : {});
  const totpSecret = newTotpSecret();
  const users: BenchUser[] = [];
  for (let i = 0; i < n; i++) {
    const compId = `U${i}`;
    const leaf = await issueCertificate(pkiDir, { name: compId, alg: 'ec', kind: 'client' });
    directory.upsert({ username: `u${i}`, role: 'Trader', privileged: false, passwordHash, totpSecret, webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [compId] });
    users.push({ username: `u${i}`, compId, password, cert: leaf.certPem, key: leaf.keyPem, totpSecret });
  }
  await directory.save();
  const configFile = join(dir, 'gateway.json');
  writeFileSync(configFile, JSON.stringify({
    dataDir: data, pki: { dir: pkiDir, serverCert: 'gateway.ec.crt.pem', serverKey: 'gateway.ec.key.pem' },
    // Password-only logons score 10 here (allow), so a logon is one round trip: the benchmark measures the
    // logon pipeline (binding, password, attestation, posture, GeoIP, score, audit), not a TOTP prompt.
    risk: { auth: { password: 10 } },
    rateLimit: { messagesPerSec: 100_000, burst: 100_000 },
    desk: { dealers: [{ name: 'DLR0', delayMs: 0, spreadBps: 5 }], quoteTtlMs: 60_000, maxOpenRfqsPerUser: 1_000_000 },
    ...o.config,
  }));
  return { dir, configFile, adminSocket: join(data, 'admin.sock'), caPem: pki.caCertPem, users };
}

export type Child = { proc: ChildProcess; fixPort: number; echoPort?: number; stop(): Promise<void> };

export async function startChild(p: Prepared, o: { echo?: boolean } = {}): Promise<Child> {
  const extra = process.env.BENCH_CHILD_NODE_ARGS ? process.env.BENCH_CHILD_NODE_ARGS.split(' ') : [];
  const proc = spawn(process.execPath, [...extra, '--disable-warning=ExperimentalWarning', new URL('./child.ts', import.meta.url).pathname, p.configFile, o.echo ? 'echo' : ''], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const rl = createInterface({ input: proc.stdout! });
  const ready = await new Promise<{ fixPort: number; echoPort?: number }>((resolve, reject) => {
    rl.once('line', (l) => resolve(JSON.parse(l) as { fixPort: number; echoPort?: number }));
    proc.once('exit', (c) => reject(new Error(`gateway child exited ${c}`)));
  });
  return {
    proc, ...ready,
    stop: () => new Promise((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGTERM'); }),
  };
}

export async function gatewayMemory(p: Prepared): Promise<{ rss: number; heapUsed: number; sessions: number; cpuMs: number }> {
  const s = await adminCall(p.adminSocket, 'status') as { sessions: number; memory: { rss: number; heapUsed: number }; cpu: { user: number; system: number } };
  return { rss: s.memory.rss, heapUsed: s.memory.heapUsed, sessions: s.sessions, cpuMs: (s.cpu.user + s.cpu.system) / 1000 };
}

export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Runs `fn` for each item with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}
