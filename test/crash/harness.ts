/**
 * Fault-injection harness (issue 19): the real gateway as a child process (`gateway/cli.ts --config <file>`, the
 * same entry point an operator runs) on a fresh dev PKI and data folder, real SIGKILL at a chosen moment, restart,
 * and a real client (gateway/session/test-client.ts: fix/'s FIXS initiator, agent attestation, TOTP) to check
 * what survived. Files are torn or bit-flipped between runs with `tear` / `flipBit`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDevPki, type DevPki } from '../../fix/pki/devpki.ts';
import { Tag } from '../../fix/dictionary/tags.ts';
import type { FixMessage } from '../../fix/codec.ts';
import type { MessageStore } from '../../fix/store.ts';
import { MSG, readSecurityStatus, readStepUpChallenge, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { hashPassword, UserDirectory } from '../../gateway/identity/directory.ts';
import { newTotpSecret } from '../../gateway/mfa/totp.ts';
import { TestClient } from '../../gateway/session/test-client.ts';
import { freshTotp, type TestUser } from '../../gateway/session/test-gateway.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect({ host: '127.0.0.1', port }, () => { c.destroy(); res(true); });
    c.once('error', () => res(false));
  });
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

export class CrashHarness {
  readonly dir: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly pki: DevPki;
  readonly user: TestUser;
  readonly fixPort: number;
  #child: ChildProcess | undefined;
  #exited: Promise<Exit> | undefined;
  stderr = '';

  private constructor(dir: string, pki: DevPki, user: TestUser, fixPort: number) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.configFile = join(dir, 'gateway.json');
    this.pki = pki;
    this.user = user;
    this.fixPort = fixPort;
  }

  static async create(): Promise<CrashHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
    const pki = await createDevPki(join(dir, 'pki'), { clients: ['ALICE'] });
    const user: TestUser = { username: 'alice', compId: 'ALICE', role: 'Trader', password: 'alice-pw-1', totpSecret: newTotpSecret() };
    mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
    const directory = UserDirectory.empty(join(dir, 'data', 'users.json'));
    directory.upsert({
      username: user.username, role: user.role, privileged: false, passwordHash: await hashPassword(user.password, { N: 1024 }),
      totpSecret: user.totpSecret, webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [user.compId],
    });
    await directory.save();
    const h = new CrashHarness(dir, pki, user, await freePort());
    writeFileSync(h.configFile, JSON.stringify({
      dataDir: h.dataDir, pki: { dir: pki.dir }, listen: { host: '127.0.0.1', fixPort: h.fixPort, enrollPort: await freePort() },
      desk: { dealers: [{ name: 'DLR1', delayMs: 0, spreadBps: 8 }, { name: 'DLR2', delayMs: 5, spreadBps: 12 }], quoteTtlMs: 30_000 },
    }, null, 2));
    return h;
  }

  file(name: 'trades' | 'audit' | 'store'): string {
    return name === 'trades' ? join(this.dataDir, 'trades.jsonl') : name === 'audit' ? join(this.dataDir, 'audit.jsonl') : join(this.dataDir, 'sessions', 'ALICE.store');
  }

  /** Starts the gateway child; resolves once its FIX port accepts, or with its exit if it refuses to start. */
  async start(o: { crashAt?: string } = {}): Promise<{ started: true } | { started: false; exit: Exit }> {
    this.stderr = '';
    // PARLEY_CRASH_AT names the kill point (fix/crash-point.ts); never inherited from this process.
    const env = { ...process.env, PARLEY_CRASH_AT: o.crashAt ?? '' };
    const child = spawn(process.execPath, ['gateway/cli.ts', '--config', this.configFile], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    child.stderr!.on('data', (b: Buffer) => { this.stderr += b.toString('utf8'); });
    // 'close', not 'exit': only then has all of the child's stderr been read.
    this.#exited = new Promise((res) => child.once('close', (code, signal) => res({ code, signal, stderr: this.stderr })));
    let gone: Exit | undefined;
    void this.#exited.then((e) => { gone = e; });
    for (;;) {
      if (gone) return { started: false, exit: gone };
      if (await canConnect(this.fixPort)) return { started: true };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Resolves once the child has written `text` to stderr (true), or false if it exits or 20 s go by first. The
   * child's stderr pipe and the client's socket are read by separate events, so a line the gateway wrote before it
   * closed a connection can reach this process after the close does.
   */
  async stderrShows(text: string): Promise<boolean> {
    for (let i = 0; i < 400; i++) {
      if (this.stderr.includes(text)) return true;
      if (!this.#child || this.#child.exitCode !== null) { await this.#exited; return this.stderr.includes(text); }
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.stderr.includes(text);
  }

  /** The child is still serving its FIX port. */
  alive(): Promise<boolean> {
    return this.#child && this.#child.exitCode === null ? canConnect(this.fixPort) : Promise.resolve(false);
  }

  /** The child's exit (a kill point's SIGKILL, for instance), once all its output has been read. */
  async exited(): Promise<Exit> {
    const e = await this.#exited!;
    this.#child = undefined;
    return e;
  }

  /** kill -9: no shutdown code runs. */
  async kill9(): Promise<Exit> {
    this.#child?.kill('SIGKILL');
    const e = await this.#exited!;
    this.#child = undefined;
    return e;
  }

  async stop(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill('SIGTERM');
    await this.#exited;
    this.#child = undefined;
  }

  /** `audit verify` through the CLI, as an operator runs it. */
  auditVerify(): { code: number | null; out: string } {
    const r = spawnSync(process.execPath, ['gateway/cli.ts', '--config', this.configFile, 'audit', 'verify'], { cwd: ROOT, encoding: 'utf8' });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** Logs alice on (password, attestation, TOTP step-up) over mutual TLS. */
  async logon(o: { store?: MessageStore } = {}): Promise<TestClient> {
    const code = await this.#totp();
    const leaf = this.pki.clients.ALICE!.ec;
    // With a store: the client resumes its FIX session (no reset), as the client core does after a reconnect.
    const resume = o.store ? { store: o.store, resetOnLogon: false } : {};
    const c = await TestClient.connect({ port: this.fixPort, ca: this.pki.caCertPem, cert: leaf.certPem, key: leaf.keyPem, compId: 'ALICE', username: 'alice', password: this.user.password, ...resume });
    const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code }));
    await c.waitFor(MSG.StepUpResult);
    const st = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
    if (st.decision !== 'allow') throw new Error(`alice not allowed: ${JSON.stringify(st)}`);
    return c;
  }

  /** A TOTP code not used yet: a step is single-use, so many logons in a row wait for the next 30-s step. */
  async #totp(): Promise<string> {
    // freshTotp may pick the oldest step the gateway still accepts: in the last seconds of a step that one lapses
    // before a loaded machine has logged on, so start on the next step instead.
    if (30_000 - (Date.now() % 30_000) < 6_000) await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200));
    for (;;) {
      try {
        return freshTotp(this.user);
      } catch {
        await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200));
      }
    }
  }

  /** RFQ → quotes → hit the first; resolves with the ExecutionReport the client was sent. */
  static async trade(c: TestClient, id: string): Promise<FixMessage> {
    c.send('R', [{ tag: Tag.QuoteReqID, value: `RFQ-${id}` }, { tag: Tag.NoRelatedSym, value: '1' }, { tag: Tag.Symbol, value: 'US912828ZT0' }, { tag: Tag.Side, value: '1' }, { tag: Tag.OrderQty, value: '1000000' }]);
    const q = await c.waitFor('S', (m) => m.get(Tag.QuoteReqID) === `RFQ-${id}`);
    c.send('AJ', [{ tag: Tag.QuoteRespID, value: `HIT-${id}` }, { tag: Tag.QuoteID, value: q.get(Tag.QuoteID)! }, { tag: Tag.QuoteRespType, value: '1' }, { tag: Tag.Side, value: '1' }, { tag: Tag.Symbol, value: 'US912828ZT0' }, { tag: Tag.OrderQty, value: '1000000' }]);
    return c.waitFor('8');
  }

  /** The trade history the gateway reports to the client (TradeCaptureReportRequest → ack + reports). */
  static async history(c: TestClient, reqId: string): Promise<FixMessage[]> {
    c.send('AD', [{ tag: Tag.TradeRequestID, value: reqId }, { tag: Tag.TradeRequestType, value: '0' }]);
    const ack = await c.waitFor('AQ', (m) => m.get(Tag.TradeRequestID) === reqId);
    const n = Number(ack.get(Tag.TotNumTradeReports));
    const out: FixMessage[] = [];
    for (let i = 0; i < n; i++) out.push(await c.waitFor('AE', (m) => m.get(Tag.TradeRequestID) === reqId));
    return out;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A crash mid-write: a prefix of a record appended with no end. */
export function tear(file: string, partial: string | Buffer): void {
  appendFileSync(file, partial);
}

/** One flipped bit at `at` (a fraction of the file's length, or a byte offset). */
export function flipBit(file: string, at: number): number {
  const b = readFileSync(file);
  const off = at < 1 ? Math.floor(b.length * at) : at;
  b[off] = b[off]! ^ 0x04;
  writeFileSync(file, b);
  return off;
}
