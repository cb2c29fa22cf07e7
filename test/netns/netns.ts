/**
 * Two network namespaces joined by a veth pair, for tests that need a real change of the client's address.
 * Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544) only, so nothing here can collide with
 * a real network; the namespaces are named per run (parley-gw-<pid>, parley-cl-<pid>).
 *
 * API
 *   netnsUnavailable() → string | undefined   why the test must skip (not root, no `ip netns`), or undefined
 *   removeStale()                            namespaces of ours left by a crashed run (its pid is gone): their
 *                                            processes killed by pid, the namespaces deleted
 *   createPair(o) → Pair                     namespaces, veth, addresses, loopback up
 *     pair.exec(ns, ...args)                 `ip netns exec <ns> …` synchronously; throws with stderr
 *     pair.setClientAddress(from, to)        ip addr del <from>; ip addr add <to> in the client's namespace
 *     pair.removeClientAddress(a) / pair.addClientAddress(a)   the two halves, for a change with a gap between
 *                                            (Wi-Fi gone, then tethering up): no address, no route meanwhile
 *     pair.destroy()                         kills what still runs inside, deletes both namespaces (idempotent)
 */
import { spawnSync } from 'node:child_process';

export const PREFIX = 24;
const OURS = /^parley-(?:gw|cl|probe)-(\d+)$/;

function ip(args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? '') || (r.error?.message ?? '') };
}

function mustIp(args: string[]): string {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.err.trim()}`);
  return r.out;
}

export function assertBenchmarkingAddress(a: string): void {
  // 198.18.0.0/15 is 198.18.x.x and 198.19.x.x: nothing else may be configured by these tests.
  if (!/^198\.1[89]\.\d{1,3}\.\d{1,3}$/.test(a)) throw new Error(`${a} is outside 198.18.0.0/15`);
}

export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the suite as root)';
  const probe = `parley-probe-${process.pid}`;
  const add = ip(['netns', 'add', probe]);
  if (!add.ok) return `\`ip netns add\` is unavailable here: ${add.err.trim() || 'failed'}`;
  ip(['netns', 'del', probe]);
  for (const tool of ['dbus-run-session', 'gnome-keyring-daemon']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (the client's keychain runs inside its namespace)`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function killInside(ns: string): void {
  const r = ip(['netns', 'pids', ns]);
  for (const p of r.out.split(/\s+/).filter(Boolean).map(Number)) {
    if (Number.isInteger(p) && p > 1 && p !== process.pid) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  }
}

export function removeStale(): string[] {
  const removed: string[] = [];
  for (const line of ip(['netns', 'list']).out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = OURS.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    killInside(name);
    ip(['netns', 'del', name]);
    removed.push(name);
  }
  return removed;
}

export type Pair = {
  gw: string; cl: string;
  exec(ns: string, ...args: string[]): string;
  setClientAddress(from: string, to: string): void;
  removeClientAddress(a: string): void;
  addClientAddress(a: string): void;
  destroy(): void;
};

export function createPair(o: { gwAddr: string; clientAddr: string }): Pair {
  assertBenchmarkingAddress(o.gwAddr);
  assertBenchmarkingAddress(o.clientAddr);
  const gw = `parley-gw-${process.pid}`;
  const cl = `parley-cl-${process.pid}`;
  const vg = `pg${process.pid}`.slice(0, 15);
  const vc = `pc${process.pid}`.slice(0, 15);
  let destroyed = false;
  const pair: Pair = {
    gw, cl,
    exec: (ns, ...args) => mustIp(['netns', 'exec', ns, ...args]),
    setClientAddress(from, to) {
      pair.removeClientAddress(from);
      pair.addClientAddress(to);
    },
    removeClientAddress(a) {
      mustIp(['-n', cl, 'addr', 'del', `${a}/${PREFIX}`, 'dev', vc]);
    },
    addClientAddress(a) {
      assertBenchmarkingAddress(a);
      mustIp(['-n', cl, 'addr', 'add', `${a}/${PREFIX}`, 'dev', vc]);
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const ns of [cl, gw]) {
        killInside(ns);
        ip(['netns', 'del', ns]);
      }
    },
  };
  try {
    mustIp(['netns', 'add', gw]);
    mustIp(['netns', 'add', cl]);
    // Created straight into the namespaces: the host's own interfaces are never touched.
    mustIp(['link', 'add', vg, 'netns', gw, 'type', 'veth', 'peer', 'name', vc, 'netns', cl]);
    mustIp(['-n', gw, 'addr', 'add', `${o.gwAddr}/${PREFIX}`, 'dev', vg]);
    mustIp(['-n', cl, 'addr', 'add', `${o.clientAddr}/${PREFIX}`, 'dev', vc]);
    for (const [ns, dev] of [[gw, vg], [cl, vc]] as const) {
      mustIp(['-n', ns, 'link', 'set', 'lo', 'up']);
      mustIp(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (e) {
    pair.destroy();
    throw e;
  }
  return pair;
}
