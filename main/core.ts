/**
 * The client core: everything the desktop app does except drawing. It wires the managed configuration,
 * the keychain identity and its enrollment/renewal, the posture agent, and the gateway session, and exposes
 * them as the IPC contract's services and events. The Electron shell and the browser preview both run
 * exactly this; only the transport to the renderer differs.
 */
import path from 'node:path';
import { EXPORTER_LABEL, EXPORTER_LENGTH, createAttestation } from '../agent/attestation.ts';
import type { PostureReport } from '../agent/collect.ts';
import { describeConfigError, loadConfig, type EffectiveConfig } from './config/policy.ts';
import { CertificateManager } from './enroll/certificate-manager.ts';
import { EnrollError, type EnrollEndpoint } from './enroll/client.ts';
import { isRevokedPerCrl } from './enroll/crl.ts';
import {
  CONTRACT_VERSION,
  ParleyError,
  type AppState,
  type ConnectionEvent,
  type PostureFact,
  type Security,
} from './ipc/contract.ts';
import { EventHub, type Services } from './ipc/handler.ts';
import { DeviceKeychain } from './keychain/device-identity.ts';
import { KeytarStore, type SecretStore } from './keychain/secret-store.ts';
import type { Backoff } from './session/backoff.ts';
import { GatewaySession } from './session/gateway-session.ts';
import { NetworkWatcher } from './session/network-watch.ts';

/** What the core needs of the posture agent (agent/collect.ts's PostureAgent fits). */
export interface PostureSource {
  get(): Promise<PostureReport>;
  current(): PostureReport | undefined;
  start?(): void;
  stop?(): void;
  onNetworkChange?(): void;
  onResume?(): void;
}

export interface CoreOptions {
  dataDir: string;
  /** The managed policy file; default per OS. */
  policyPath?: string;
  host: AppState['host'];
  posture: PostureSource;
  secretStore?: SecretStore;
  keychainProfile?: string;
  backoff?: Backoff;
  heartBtIntSec?: number;
  log?: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

const DEFAULT_GATEWAY_COMPID = 'PARLEY';

function factToUi(f: PostureReport['facts'][number]): PostureFact {
  const value = f.value === undefined ? undefined : typeof f.value === 'string' ? f.value : JSON.stringify(f.value);
  return {
    name: (f.label || f.id).slice(0, 100),
    status: f.status,
    ...(value !== undefined ? { value: value.slice(0, 2_000) } : {}),
    ...(f.reason ? { reason: f.reason.slice(0, 2_000) } : {}),
    evidence: JSON.stringify(f.evidence).slice(0, 8_000),
  };
}

export class ClientCore {
  readonly events: EventHub;
  readonly services: Services;
  readonly #o: CoreOptions;
  readonly #log: NonNullable<CoreOptions['log']>;
  readonly #certs: CertificateManager;
  readonly #session: GatewaySession;
  readonly #watcher = new NetworkWatcher();
  #config: EffectiveConfig | null = null;
  #configError: string | null = null;
  #connection: ConnectionEvent = { state: 'offline', at: new Date().toISOString() };
  #securityTimer: NodeJS.Timeout | undefined;

  constructor(o: CoreOptions) {
    this.#o = o;
    this.#log = o.log ?? { info: () => {}, warn: (m) => console.warn(m), error: (m) => console.error(m) };
    this.events = new EventHub(this.#log);
    const keychain = new DeviceKeychain(o.secretStore ?? new KeytarStore(), o.keychainProfile ?? 'default');
    this.#certs = new CertificateManager({ keychain, dataDir: o.dataDir, endpoint: () => this.#enrollEndpoint() });
    this.#session = new GatewaySession({
      dataDir: o.dataDir,
      target: () => {
        const c = this.#config;
        if (!c?.gateway) return null;
        return { host: c.gateway.host, port: c.gateway.port, compId: c.gateway.compId ?? DEFAULT_GATEWAY_COMPID, caPem: c.caPem, spkiPins: c.spkiPins };
      },
      identity: () => {
        const id = this.#certs.identity;
        const st = this.#certs.state;
        if (!id || st.state !== 'enrolled' || !st.info.compId) return null;
        return { ...id, compId: st.info.compId };
      },
      attest: async (exporter) => {
        const id = this.#certs.identity;
        if (!id) throw new Error('no device key');
        const facts = await this.#o.posture.get();
        return createAttestation({ facts, exporter: exporter(EXPORTER_LABEL, EXPORTER_LENGTH), signer: async (d) => id.key.sign(d) });
      },
      reattestIntervalSec: () => this.#config?.reattestIntervalSec ?? 300,
      isCertificateRevoked: async () => {
        const ep = this.#enrollEndpoint();
        const id = this.#certs.identity;
        return !!ep && !!id && isRevokedPerCrl(ep, id.certificatePem);
      },
      watcher: this.#watcher,
      ...(o.backoff ? { backoff: o.backoff } : {}),
      ...(o.heartBtIntSec ? { heartBtIntSec: o.heartBtIntSec } : {}),
      log: this.#log,
    });
    this.#wireEvents();
    this.services = this.#makeServices();
  }

  get connection(): ConnectionEvent {
    return this.#connection;
  }

  #enrollEndpoint(): EnrollEndpoint | null {
    const c = this.#config;
    return c?.enrollmentUrl ? { url: c.enrollmentUrl, ca: c.caPem } : null;
  }

  #setConnection(e: ConnectionEvent): void {
    this.#connection = e;
    this.events.emit('connection', e);
    this.#securityChanged();
  }

  #wireEvents(): void {
    const s = this.#session;
    s.on('connection', (e) => {
      // The session's event first (it carries how the session ended): the certificate manager's own
      // enrollment-needed then finds the state already set and adds no second event without it.
      this.#setConnection(e);
      if (e.state === 'enrollment-needed') this.#certs.markUnusable(e.reason ?? 'the gateway refused the device certificate');
    });
    s.on('rfq', (r) => this.events.emit('rfq', r));
    s.on('execution', (e) => this.events.emit('execution', e));
    s.on('stepUpChallenge', (c) => this.events.emit('stepUpChallenge', c));
    s.on('stepUpResolved', (r) => this.events.emit('stepUpResolved', r));
    s.on('notification', (n) => this.events.emit('notification', n));
    s.on('openRfqs', (l) => this.events.emit('openRfqs', l));
    s.on('security', () => this.#securityChanged());
    this.#certs.on('state', (st) => {
      if (st.state === 'enrollment-needed' && this.#connection.state !== 'enrollment-needed') {
        this.#setConnection({ state: 'enrollment-needed', reason: st.reason, at: new Date().toISOString() });
      }
      this.#securityChanged();
    });
    this.#certs.on('error', (e) => this.#log.warn(`certificate renewal: ${e.message}`));
    this.#watcher.on('change', () => this.#o.posture.onNetworkChange?.());
    this.#watcher.on('resume', () => this.#o.posture.onResume?.());
  }

  #securityChanged(): void {
    // Several changes usually come together (state + risk + TLS); send one snapshot.
    if (this.#securityTimer) return;
    this.#securityTimer = setTimeout(() => {
      this.#securityTimer = undefined;
      this.events.emit('security', this.security());
    }, 50);
    this.#securityTimer.unref();
  }

  /** Loads config and identity; enrolls silently when IT's policy carries a token. Never throws. */
  async start(): Promise<ConnectionEvent> {
    const cfg = await loadConfig({
      ...(this.#o.policyPath ? { policyPath: this.#o.policyPath } : {}),
      userSettingsPath: path.join(this.#o.dataDir, 'settings.json'),
    });
    if (!cfg.ok) {
      this.#configError = describeConfigError(cfg.error);
      this.#config = null;
      this.#setConnection({ state: 'config-error', reason: this.#configError, at: new Date().toISOString() });
      return this.#connection;
    }
    this.#config = cfg.value;
    this.#configError = null;
    this.#o.posture.start?.();
    let st;
    try {
      st = await this.#certs.load();
    } catch (e) {
      this.#setConnection({ state: 'offline', reason: (e as Error).message, at: new Date().toISOString() });
      return this.#connection;
    }
    if (st.state === 'enrollment-needed' && cfg.value.enrollmentToken) {
      try {
        await this.#certs.enroll(cfg.value.enrollmentToken);
        st = this.#certs.state;
      } catch (e) {
        this.#log.warn(`silent enrollment failed: ${(e as Error).message}`);
      }
    }
    this.#setConnection(
      st.state === 'enrolled'
        ? { state: 'signed-out', at: new Date().toISOString() }
        : { state: 'enrollment-needed', reason: st.reason, at: new Date().toISOString() },
    );
    return this.#connection;
  }

  async stop(): Promise<void> {
    await this.#session.close();
    this.#certs.stop();
    this.#o.posture.stop?.();
    this.#watcher.stop();
  }

  /** From Electron's powerMonitor / the OS. */
  onResume(): void {
    this.#watcher.notifyResume();
  }

  security(): Security {
    const c = this.#config;
    const st = this.#certs.state;
    const report = this.#o.posture.current();
    const connected = ['connected', 'challenged'].includes(this.#connection.state);
    return {
      connection: this.#connection.state,
      gateway: c?.gateway ? { host: c.gateway.host, port: c.gateway.port } : null,
      tls: connected ? this.#session.tls : null,
      certificate:
        st.state === 'enrolled'
          ? {
              subject: st.info.subject.slice(0, 512),
              issuer: st.info.issuer.slice(0, 512),
              serialNumber: st.info.serialNumber.slice(0, 128),
              notBefore: st.info.notBefore.toISOString(),
              notAfter: st.info.notAfter.toISOString(),
              renewAt: st.info.renewAt.toISOString(),
            }
          : null,
      posture: report ? { collectedAt: new Date(report.collectedAt).toISOString(), facts: report.facts.slice(0, 100).map(factToUi) } : null,
      lastAttestationAt: this.#session.lastAttestationAt?.toISOString() ?? null,
      risk: connected ? this.#session.risk : null,
      policySource: c?.policySource ?? null,
    };
  }

  #requireReady(): void {
    if (this.#configError) throw new ParleyError('config-error', this.#configError);
    if (this.#certs.state.state !== 'enrolled') throw new ParleyError('not-enrolled', 'enroll this device first');
  }

  #makeServices(): Services {
    const s = this.#session;
    return {
      getState: async () => ({
        contractVersion: CONTRACT_VERSION,
        connection: this.#connection,
        enrolled: this.#certs.state.state === 'enrolled',
        silentEnrollment: !!this.#config?.enrollmentToken,
        user: s.username ? { username: s.username, ...(s.role ? { role: s.role } : {}) } : null,
        pendingStepUp: s.pendingChallenge,
        host: this.#o.host,
      }),
      enroll: async ({ token }) => {
        if (this.#configError) throw new ParleyError('config-error', this.#configError);
        try {
          const info = await this.#certs.enroll(token);
          this.#setConnection({ state: 'signed-out', at: new Date().toISOString() });
          return { subject: info.subject.slice(0, 512), notAfter: info.notAfter.toISOString() };
        } catch (e) {
          if (e instanceof EnrollError) {
            const code = e.code === 'network' ? 'not-connected' : e.code === 'token-refused' ? 'denied' : e.code === 'refused' ? 'config-error' : 'internal';
            throw new ParleyError(code, e.message);
          }
          throw e;
        }
      },
      signIn: async ({ username, password }) => {
        this.#requireReady();
        return s.signIn(username, password);
      },
      signOut: async () => {
        await s.signOut();
        return { ok: true as const };
      },
      answerStepUp: (a) => s.answerStepUp(a),
      cancelStepUp: async ({ challengeId }) => {
        await s.cancelStepUp(challengeId);
        return { ok: true as const };
      },
      listInstruments: () => s.listInstruments(),
      listDealers: () => s.listDealers(),
      listRfqs: async () => s.book.list(),
      createRfq: (r) => s.createRfq(r),
      hitQuote: ({ clientRfqId, quoteId }) => s.hitQuote(clientRfqId, quoteId),
      passQuote: async ({ clientRfqId, quoteId }) => {
        s.passQuote(clientRfqId, quoteId);
        return { ok: true as const };
      },
      cancelRfq: async ({ clientRfqId }) => {
        await s.cancelRfq(clientRfqId);
        return { ok: true as const };
      },
      queryHistory: (q) => s.queryHistory(q),
      getSecurity: async () => this.security(),
      listOpenRfqs: () => s.listOpenRfqs(),
      registerSecurityKey: (r) => s.registerSecurityKey(r),
    };
  }
}
