/**
 * Debian's rsyslogd as a real SIEM-side receiver for tests: an imtcp listener with the gtls driver (TLS only,
 * StreamDriver.Mode 1, senders authenticated by certificate name: AuthMode x509/name), writing each message's
 * APP-NAME, MSGID, STRUCTURED-DATA and MSG as one line of a file.
 *
 * API
 *   rsyslogSkipReason(): string | null       why the tests cannot run here (rsyslogd or its gtls driver absent)
 *   class Rsyslog
 *     static create(o): Promise<Rsyslog>      writes rsyslog.conf into o.dir (not started); picks a free port
 *     start(): Promise<void>                  resolves once the listener accepts connections
 *     stop(): Promise<void>                   SIGTERM, resolves on the process's 'close'
 *     received(): Received[]                  the output file, parsed
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'];

function gtlsDriver(): string | undefined {
  for (const base of ['/usr/lib', '/usr/lib64']) {
    let dirs: string[] = [];
    try { dirs = readdirSync(base); } catch { continue; }
    for (const d of ['rsyslog', ...dirs.map((x) => `${x}/rsyslog`)]) {
      const f = join(base, d, 'lmnsd_gtls.so');
      if (existsSync(f)) return f;
    }
  }
  return undefined;
}

export function rsyslogSkipReason(): string | null {
  if (!RSYSLOGD.some((f) => existsSync(f))) return 'rsyslogd is not installed (Debian packages rsyslog and rsyslog-gnutls; scripts/deps.sh installs them)';
  if (!gtlsDriver()) return 'rsyslog\'s GnuTLS driver lmnsd_gtls.so is not installed (Debian package rsyslog-gnutls)';
  return null;
}

export type Received = { appName: string; msgId: string; sd: string; msg: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = tcpConnect({ host: '127.0.0.1', port });
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

export class Rsyslog {
  readonly port: number;
  readonly out: string;
  readonly #conf: string;
  readonly #pid: string;
  #proc: ChildProcess | undefined;
  #closed: Promise<void> = Promise.resolve();
  stderr = '';

  private constructor(port: number, dir: string) {
    this.port = port;
    this.out = join(dir, 'received.log');
    this.#conf = join(dir, 'rsyslog.conf');
    this.#pid = join(dir, 'rsyslogd.pid');
  }

  /** caFile/certFile/keyFile: rsyslog's own TLS identity; permittedPeer: the sender certificate names it accepts. */
  static async create(o: { dir: string; caFile: string; certFile: string; keyFile: string; permittedPeer: string }): Promise<Rsyslog> {
    const r = new Rsyslog(await freePort(), o.dir);
    const q = (s: string) => JSON.stringify(s);
    writeFileSync(r.#conf, [
      `global(workDirectory=${q(o.dir)} maxMessageSize="64k"`,
      `  defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile=${q(o.caFile)}`,
      `  defaultNetstreamDriverCertFile=${q(o.certFile)} defaultNetstreamDriverKeyFile=${q(o.keyFile)})`,
      // Direct: a message read from the socket is in the file before the next is read, so a stop loses only
      // what was still in the kernel's buffers (the sender's replay window covers that).
      'main_queue(queue.type="Direct")',
      `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/name" permittedPeer=[${q(o.permittedPeer)}])`,
      `input(type="imtcp" address="127.0.0.1" port="${r.port}")`,
      'template(name="parleyTest" type="string" string="%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n")',
      `action(type="omfile" file=${q(r.out)} template="parleyTest")`,
      '',
    ].join('\n'));
    return r;
  }

  async start(): Promise<void> {
    const bin = RSYSLOGD.find((f) => existsSync(f))!;
    const p = spawn(bin, ['-n', '-f', this.#conf, '-i', this.#pid], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#proc = p;
    p.stderr!.on('data', (b: Buffer) => { this.stderr += b.toString(); });
    this.#closed = new Promise((resolve) => p.once('close', () => resolve()));
    let exited = false;
    void this.#closed.then(() => { exited = true; });
    for (let i = 0; i < 600; i++) {
      if (exited) throw new Error(`rsyslogd exited at start: ${this.stderr}`);
      if (await accepts(this.port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`rsyslogd did not listen on 127.0.0.1:${this.port} within 60 s: ${this.stderr}`);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) { await this.#closed; return; }
    p.kill('SIGTERM');
    await this.#closed;
  }

  received(): Received[] {
    let text = '';
    try { text = readFileSync(this.out, 'utf8'); } catch { return []; }
    const out: Received[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [appName = '', msgId = '', sd = '', ...rest] = line.split('\t');
      out.push({ appName, msgId, sd, msg: rest.join('\t') });
    }
    return out;
  }
}
