/**
 * A scripted Parley client for the gateway's tests and benchmarks, built only from real parts: fix/'s FIXS
 * initiator, agent/'s attestation (signed with the client certificate's key, bound to this TLS channel), and
 * otpauth for TOTP codes. It records every message it receives so tests can wait for them by event, not time.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { createAttestation, EXPORTER_LABEL, EXPORTER_LENGTH, signerFromPrivateKey } from '../../agent/attestation.ts';
import type { Fact, PostureReport } from '../../agent/report.ts';
import type { Field, FixMessage } from '../../fix/codec.ts';
import { parleyDictionary, TAG } from '../../fix/parley-protocol.ts';
import { initiateSession, type FixSession } from '../../fix/session.ts';
import { MemoryStore, type MessageStore } from '../../fix/store.ts';
import { connectFixs, type FixsConnection } from '../../fix/transport.ts';

function fact(id: string, status: Fact['status'], value?: unknown): Fact {
  return { id, label: id, status, ...(value === undefined ? {} : { value }), evidence: {} };
}

/** A Debian 12 posture report; `encrypted: false` or an old patch date make it non-compliant. */
export function postureReport(o: { encrypted?: boolean; patchDays?: number; now?: Date } = {}): PostureReport {
  const now = o.now ?? new Date();
  const patched = new Date(now.getTime() - (o.patchDays ?? 2) * 86_400_000).toISOString();
  return {
    agentVersion: '0.1.0', collectedAt: now.toISOString(), platform: 'linux',
    os: { platform: 'linux', distro: 'Debian GNU/Linux 12 (bookworm)', id: 'debian', version: '12', build: '', kernel: '6.1.0', arch: 'x64' },
    facts: [
      fact('os.version', 'pass'),
      fact('patch.lastInstalled', 'pass', { date: patched, daysAgo: o.patchDays ?? 2 }),
      fact('disk.encryption', o.encrypted === false ? 'fail' : 'pass', { encrypted: o.encrypted ?? true }),
      fact('firewall', 'pass'), fact('screenLock', 'pass'), fact('secureBoot', 'pass'),
    ],
  };
}

export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

export type ClientOptions = {
  port: number; ca: string; cert: string; key: string; compId: string; username: string; password: string;
  targetCompId?: string;
  /** The logon attestation: a report to sign (default compliant), `false` for none, or a raw JWS string. */
  attestation?: PostureReport | false | string;
  heartBtInt?: number;
  /** A store kept across connections, with resetOnLogon false: the session resumes (resend) instead of resetting. */
  store?: MessageStore;
  resetOnLogon?: boolean;
};

type Waiter = { pred: (m: FixMessage) => boolean; resolve: (m: FixMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class TestClient {
  readonly fix: FixSession;
  readonly conn: FixsConnection;
  readonly key: KeyObject;
  readonly received: FixMessage[] = [];
  /** Session-level Rejects sent or received, and session diagnostics: the first place to look when a test waits in vain. */
  readonly rejects: unknown[] = [];
  readonly events: string[] = [];
  logonReply: FixMessage | undefined;
  closedReason: string | undefined;
  logoutText: string | undefined;
  /** The gateway's Logout, with its decision fields (ParleyDecision, scope, score, factors, reason). */
  logoutMessage: FixMessage | undefined;
  #consumed = new Set<FixMessage>();
  #waiters: Waiter[] = [];
  #closeWaiters: Array<(r: string) => void> = [];

  private constructor(fix: FixSession, conn: FixsConnection, key: KeyObject) {
    this.fix = fix;
    this.conn = conn;
    this.key = key;
    fix.on('logon', (m: FixMessage) => { this.logonReply = m; this.#deliver(m); });
    fix.on('message', (m: FixMessage) => this.#deliver(m));
    fix.on('logout', (text: string | undefined, m: FixMessage) => { this.logoutText = text; this.logoutMessage = m; });
    fix.on('error', () => {});
    fix.on('reject', (r: unknown) => this.rejects.push(r));
    fix.on('event', (e: string) => this.events.push(e));
    fix.on('closed', (reason: string) => {
      this.closedReason = reason;
      for (const w of this.#waiters.splice(0)) { clearTimeout(w.timer); w.reject(new Error(`session closed (${reason}) while waiting; logout text: ${this.logoutText ?? ''}`)); }
      for (const c of this.#closeWaiters.splice(0)) c(reason);
    });
  }

  /** Connects over mutual TLS and sends the Logon (with the attestation bound to this very channel). */
  static async connect(o: ClientOptions): Promise<TestClient> {
    const conn = await connectFixs({ host: '127.0.0.1', port: o.port, ca: o.ca, cert: o.cert, key: o.key, servername: 'localhost' });
    const key = createPrivateKey(o.key);
    const logonFields: Field[] = [{ tag: TAG.Username, value: o.username }, { tag: TAG.Password, value: o.password }];
    if (o.attestation !== false) {
      const jws = typeof o.attestation === 'string' ? o.attestation
        : await createAttestation({ facts: o.attestation ?? postureReport(), exporter: conn.exporter(EXPORTER_LABEL, EXPORTER_LENGTH), signer: signerFromPrivateKey(key) });
      logonFields.push({ tag: TAG.Attestation, value: jws });
    }
    const fix = initiateSession(conn, {
      senderCompId: o.compId, targetCompId: o.targetCompId ?? 'PARLEY', heartBtInt: o.heartBtInt ?? 30, store: o.store ?? new MemoryStore(),
      dictionary: parleyDictionary(), resetOnLogon: o.resetOnLogon ?? true, logonFields,
    });
    return new TestClient(fix, conn, key);
  }

  #deliver(m: FixMessage): void {
    this.received.push(m);
    const i = this.#waiters.findIndex((w) => w.pred(m));
    if (i >= 0) {
      const [w] = this.#waiters.splice(i, 1);
      clearTimeout(w!.timer);
      this.#consumed.add(m);
      w!.resolve(m);
    }
  }

  /** The next not-yet-consumed message of this type (and matching `pred`), received already or later. */
  waitFor(msgType: string, pred: (m: FixMessage) => boolean = () => true, timeoutMs = 20_000): Promise<FixMessage> {
    const match = (m: FixMessage) => m.msgType === msgType && pred(m);
    const have = this.received.find((m) => !this.#consumed.has(m) && match(m));
    if (have) { this.#consumed.add(have); return Promise.resolve(have); }
    if (this.closedReason !== undefined) return Promise.reject(new Error(`session closed (${this.closedReason}); logout text: ${this.logoutText ?? ''}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no ${msgType} within ${timeoutMs} ms; received: ${this.received.map((m) => m.msgType).join(',')}; rejects: ${JSON.stringify(this.rejects)}; events: ${this.events.slice(-5).join(' | ')}`));
      }, timeoutMs);
      this.#waiters.push({ pred: match, resolve, reject, timer });
    });
  }

  /** Resolves with the close reason once the gateway (or anything) ends the connection. */
  closed(timeoutMs = 20_000): Promise<string> {
    if (this.closedReason !== undefined) return Promise.resolve(this.closedReason);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the session did not close')), timeoutMs);
      this.#closeWaiters.push((r) => { clearTimeout(t); resolve(r); });
    });
  }

  send(msgType: string, body: Field[]): void {
    this.fix.send(msgType, body);
  }

  async attestation(report: PostureReport = postureReport()): Promise<string> {
    return createAttestation({ facts: report, exporter: this.conn.exporter(EXPORTER_LABEL, EXPORTER_LENGTH), signer: signerFromPrivateKey(this.key) });
  }

  async close(): Promise<void> {
    if (this.closedReason !== undefined) return;
    await this.fix.logout('bye');
  }
}
