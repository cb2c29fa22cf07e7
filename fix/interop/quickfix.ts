/**
 * Builds and runs the QuickFIX C++ interop programs (qf_acceptor.cpp, qf_initiator.cpp) for the tests.
 *
 * API
 *   quickfixAvailable() → string | null        null when libquickfix-dev + g++ are usable, else why not
 *   buildQuickfixPrograms() → { acceptor, initiator, bindLoopback }   compiled into fix/interop/.build (gitignored), reused
 *                                                       while newer than their sources
 *   writeSettings(path, settings)               a QuickFIX settings file ([DEFAULT] + one [SESSION])
 *   dataDictionaryPath(dir) → string            ../shared/fix/FIX44.xml, or a copy rendered from fix/dictionary
 *   startProgram(path, args) → QfProcess        stdout lines as they come, waitFor(regex), exit code
 *   freePort() → number                          QuickFIX's acceptor needs a concrete port: ask the OS for one
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dictionaryXml } from './dictionary-xml.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BUILD = join(here, '.build');
const SHARED_XML = resolve(here, '../../../shared/fix/FIX44.xml');

export function quickfixAvailable(): string | null {
  if (!existsSync('/usr/include/quickfix/Session.h')) return 'libquickfix-dev is not installed (no /usr/include/quickfix)';
  if (spawnSync('g++', ['--version']).status !== 0) return 'g++ is not installed';
  return null;
}

function build(name: string): string {
  mkdirSync(BUILD, { recursive: true });
  const src = join(here, `${name}.cpp`);
  const out = join(BUILD, name);
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(here, 'interop_common.h')).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  const r = spawnSync('g++', ['-std=gnu++14', '-DHAVE_SSL=1', '-O1', '-w', '-o', out, src, '-lquickfix', '-lssl', '-lcrypto', '-lpthread'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${name} failed:\n${r.stderr}`);
  return out;
}

export function buildQuickfixPrograms(): { acceptor: string; initiator: string; bindLoopback: string } {
  return { acceptor: build('qf_acceptor'), initiator: build('qf_initiator'), bindLoopback: buildBindLoopback() };
}

/** The LD_PRELOAD shim (bind_loopback.c) that keeps QuickFIX's acceptor on loopback. */
function buildBindLoopback(): string {
  mkdirSync(BUILD, { recursive: true });
  const src = join(here, 'bind_loopback.c');
  const out = join(BUILD, 'bind_loopback.so');
  if (existsSync(out) && statSync(out).mtimeMs > statSync(src).mtimeMs) return out;
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', out, src, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building bind_loopback.so failed:\n${r.stderr}`);
  return out;
}

/**
 * The local addresses listening on a TCP port, from /proc/net/tcp and tcp6 (Linux), e.g. ['127.0.0.1'] —
 * so a test can check a server it started listens on loopback only.
 */
export function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, hexPort] = (cols[1] ?? '').split(':');
      if (cols[3] !== '0A' || !addr || !hexPort || parseInt(hexPort, 16) !== port) continue; // 0A = LISTEN
      if (!v6) found.push([3, 2, 1, 0].map((i) => parseInt(addr.slice(i * 2, i * 2 + 2), 16)).join('.'));
      else found.push(addr === '00000000000000000000000001000000' ? '::1' : addr === '0'.repeat(32) ? '::' : addr);
    }
  }
  return found;
}

export function dataDictionaryPath(dir: string): string {
  if (existsSync(SHARED_XML)) return SHARED_XML;
  const p = join(dir, 'FIX44.xml');
  writeFileSync(p, dictionaryXml());
  return p;
}

export function writeSettings(path: string, settings: Record<string, string | number>): void {
  const session = ['BeginString', 'SenderCompID', 'TargetCompID'];
  const lines = ['[DEFAULT]'];
  for (const [k, v] of Object.entries(settings)) if (!session.includes(k)) lines.push(`${k}=${v}`);
  lines.push('', '[SESSION]');
  for (const k of session) if (settings[k] !== undefined) lines.push(`${k}=${settings[k]}`);
  writeFileSync(path, lines.join('\n') + '\n');
}

export interface QfProcess {
  child: ChildProcess;
  lines: string[];
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function startProgram(path: string, args: string[], opts: { preload?: string } = {}): QfProcess {
  const env = opts.preload ? { ...process.env, LD_PRELOAD: opts.preload } : process.env;
  const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on('data', () => undefined);
  const exited = new Promise<number | null>((res) => child.on('close', (code) => { for (const w of waiters.splice(0)) w(); res(code); }));
  let done = false;
  void exited.then(() => { done = true; });
  const waitFor = async (re: RegExp, timeoutMs = 30_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return hit;
      if (done) throw new Error(`${path} exited before printing ${re}; output:\n${lines.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; output:\n${lines.join('\n')}`);
      await new Promise<void>((r) => { const t = setTimeout(r, Math.min(left, 500)); waiters.push(() => { clearTimeout(t); r(); }); });
    }
  };
  return {
    child, lines, waitFor, exited,
    stop: async () => {
      if (!done) {
        child.stdin!.end();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** The QuickFIX trading engine (qf_engine.cpp: logon with a certificate, RFQ, hit, ExecutionReport) for the gateway's service-account test. */
export function buildQuickfixEngine(): string {
  return build('qf_engine');
}

/** The dictionary checker (qf_dictcheck.cpp): loads an XML dictionary into QuickFIX and validates messages against it. */
export function buildDictionaryCheck(): string {
  return build('qf_dictcheck');
}
