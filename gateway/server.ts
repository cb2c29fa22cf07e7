/**
 * The running gateway: composes the FIXS acceptor (fix/), the session logic (session/), the decision core
 * (identity, risk, policy, geo, mfa, posture, audit), the dealer desk, the enrollment CA and its HTTPS
 * endpoint, and the local admin channel, from one validated configuration.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createFixsServer, type FixsServer } from '../fix/transport.ts';
import type { AdminServer } from './admin/channel.ts';
import { revokeSerials } from './admin/certs.ts';
import { gatewayContext, serveAdmin } from './admin/live.ts';
import { AnomalyDetector } from './anomaly/detector.ts';
import { AlertSink, AuditLog } from './audit/log.ts';
import type { GatewayConfig } from './config.ts';
import { DealerDesk } from './desk/desk.ts';
import { TradeStore } from './desk/trade-store.ts';
import { GatewayCa } from './enroll/ca.ts';
import { CrlPublisher } from './enroll/crl-publisher.ts';
import { EnrollServer } from './enroll/http.ts';
import { CertRegistry, normSerial } from './enroll/registry.ts';
import { TokenStore } from './enroll/tokens.ts';
import { GeoIp } from './geo/geoip.ts';
import { VerifiedCredentialCache } from './identity/credential-cache.ts';
import { KdfPool } from './identity/kdf-pool.ts';
import { rehashIfWeaker, UserDirectory, verifyPassword, type Kdf } from './identity/directory.ts';
import { SecretBox } from './identity/secret-box.ts';
import { StepUpManager } from './mfa/stepup.ts';
import { TotpVerifier } from './mfa/totp.ts';
import { WebAuthnService } from './mfa/webauthn.ts';
import { KeyRegistrations } from './mfa/registration.ts';
import { AccessPolicy } from './policy/engine.ts';
import { classifyNetwork, compileNetworks } from './policy/network.ts';
import { evaluatePosture } from './posture/policy.ts';
import { decideAchievable, scoreRisk } from './risk/score.ts';
import { postureVerifier, type DeviceKeys } from './session/adapters.ts';
import { DeviceRegistry, DeviceRegistryError } from './devices/registry.ts';
import { TpmEnrollment } from './devices/tpm/enrollment.ts';
import { Telemetry } from './telemetry/telemetry.ts';
import { SessionManager } from './session/manager.ts';
import { RecentAuth } from './session/recent-auth.ts';
import type { Audit, Ports } from './session/ports.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

export type StartOptions = {
  /** Keep FIX session stores in memory (benchmarks); default: files under dataDir/sessions. */
  memoryStores?: boolean;
  /** Where operational messages go; default console.error. */
  log?: (line: string) => void;
};

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new StartupError(`${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (create a dev PKI with \`npm run pki -- <dir>\` or \`npm start\`, or set pki.* in the config)`);
  }
}

function openDevices(file: string): DeviceRegistry {
  try {
    return new DeviceRegistry(file);
  } catch (e) {
    throw e instanceof DeviceRegistryError ? new StartupError(e.message) : e;
  }
}

function readRootCert(file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(readPem(file, what));
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(`${what} ${file}: not a PEM X.509 certificate`);
  }
}

export class Gateway {
  readonly cfg: GatewayConfig;
  fixPort = 0;
  enrollPort = 0;
  manager!: SessionManager;
  desk!: DealerDesk;
  policy!: AccessPolicy;
  users!: UserDirectory;
  registry!: CertRegistry;
  devices!: DeviceRegistry;
  tokens!: TokenStore;
  ca!: GatewayCa;
  /** The published CRL (cached; re-issued on a timer before nextUpdate). */
  crl!: CrlPublisher;
  auditLog!: AuditLog;
  /** Seals the TOTP seeds in users.json (identity.secretsKeyFile). */
  secrets!: SecretBox;
  audit!: Audit;
  /** Passwords verified with scrypt, remembered as keyed HMACs (identity.credentialCacheTtlSec). */
  credentials!: VerifiedCredentialCache;
  /** scrypt off the event loop and off libuv's pool, with a bounded queue (identity.kdfWorkers / kdfQueue). */
  kdf!: KdfPool;
  /** Metrics, the /metrics listener and the SIEM export (telemetry.*; off by default). */
  telemetry!: Telemetry;
  /** Anomaly rules (anomaly.*): risk factors from the gateway's own history. */
  anomaly!: AnomalyDetector;
  #fix: FixsServer | undefined;
  #enroll: EnrollServer | undefined;
  #admin: AdminServer | undefined;
  readonly #log: (line: string) => void;

  private constructor(cfg: GatewayConfig, log: (line: string) => void) {
    this.cfg = cfg;
    this.#log = log;
  }

  static async start(cfg: GatewayConfig, opts: StartOptions = {}): Promise<Gateway> {
    const g = new Gateway(cfg, opts.log ?? ((l) => console.error(l)));
    try {
      await g.#start(opts);
    } catch (e) {
      await g.close().catch(() => {});
      throw e;
    }
    return g;
  }

  async #start(opts: StartOptions): Promise<void> {
    const { cfg } = this;
    const p = cfg.paths;
    mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });

    const caPem = readPem(p.caCert, 'CA certificate');
    const caKey = readPem(p.caKey, 'CA private key');
    const serverCert = readPem(p.serverCert, 'gateway certificate');
    const serverKey = readPem(p.serverKey, 'gateway private key');

    mkdirSync(dirname(p.users), { recursive: true });
    this.secrets = SecretBox.openOrCreate(p.usersKey);
    this.users = existsSync(p.users) ? await UserDirectory.load(p.users, this.secrets) : UserDirectory.empty(p.users, this.secrets);
    if (!existsSync(p.users)) this.#log(`gateway: no user directory at ${p.users} yet; add users with \`npm run gateway -- admin users add\``);
    this.policy = await AccessPolicy.load(p.policyDir, { mode: cfg.policy.mode, rfqNotionalLimit: cfg.stepUp.rfqNotionalLimit, maxAuthAgeSec: cfg.stepUp.maxAuthAgeSec });
    const geo = p.mmdb ? await GeoIp.open(p.mmdb) : GeoIp.none();
    const networks = compileNetworks(cfg.network, 'network');

    this.auditLog = await AuditLog.open(p.audit, { keyFile: p.auditKey, checkpointFile: p.auditCheckpoints });
    const alerts = new AlertSink({ log: this.auditLog, webhookUrl: cfg.audit.alertWebhook });
    const logFail = (e: unknown) => this.#log(`gateway: audit write failed: ${(e as Error).message}`);
    this.audit = {
      event: (type, data) => { this.auditLog.append(type, data).catch(logFail); },
      alert: (kind, data) => { alerts.alert(kind, data).catch(logFail); },
    };
    // Metrics count the audit events; the SIEM export tails the audit file (it is never on the append path).
    this.telemetry = await Telemetry.start({ cfg, caPem, serverCert, serverKey, auditSeq: () => this.auditLog.seq, sessions: () => this.manager?.size ?? 0, audit: this.audit });
    this.audit = this.telemetry.tap(this.audit);
    const ax = cfg.anomaly;
    this.anomaly = AnomalyDetector.open({
      cfg: ax, file: isAbsolute(ax.historyFile) ? ax.historyFile : resolve(p.dataDir, ax.historyFile), audit: this.audit,
      country: (ip) => geo.country(ip), rescoreUser: (u) => this.#rescoreUser(u),
    });
    const observed = this.audit;
    this.audit = { event: (type, data) => { observed.event(type, data); this.anomaly.observe(type, data); }, alert: observed.alert };

    this.ca = await GatewayCa.load(caPem, caKey);
    const crlValidityMs = cfg.enroll.crlValiditySec * 1000;
    this.registry = new CertRegistry({ issued: p.issued, revoked: p.revoked, crl: p.crl, crlValidityMs });
    this.crl = new CrlPublisher({ registry: this.registry, ca: this.ca, validityMs: crlValidityMs, onEvent: (e) => this.#enrollEvent(e) });
    await this.crl.start();
    this.tokens = TokenStore.open(p.tokens);
    this.devices = openDevices(p.devices);
    const tpmRoots = p.tpmRoots.map((f) => readRootCert(f, 'TPM manufacturer root'));
    const deviceKeys: DeviceKeys = {
      forSerial: (serial) => { const id = this.registry.issued(serial)?.deviceId; return id ? { deviceId: id, key: this.devices.postureKey(id) } : undefined; },
      requireHardwareKey: cfg.devices.requireHardwareKey,
      onForeignSigner: (e) => this.audit.alert('device.foreign-signer', { ...e, reason: 'posture for a hardware-bound certificate not signed by its device: the TLS key is used on another machine' }),
    };

    const trades = TradeStore.open(p.trades, {
      onCorrupt: (line, reason) => this.#log(`gateway: ${p.trades}:${line}: skipped (${reason})`),
      onRepair: (r) => {
        this.#log(`gateway: ${r.file}: torn tail of ${r.bytes} bytes cut at offset ${r.offset} (kept as ${r.keptAs})`);
        this.audit.event('store.tail-repaired', { ...r });
      },
    });
    this.desk = new DealerDesk({ dealers: cfg.desk.dealers, instruments: cfg.desk.instruments, quoteTtlMs: cfg.desk.quoteTtlMs, maxOpenRfqsPerUser: cfg.desk.maxOpenRfqsPerUser, retainMs: cfg.desk.closedRfqRetentionSec * 1000, maxClosedRfqs: cfg.desk.maxClosedRfqs, trades });

    const webauthn = new WebAuthnService({ rpID: cfg.stepUp.rpId, origin: cfg.stepUp.origin });
    this.credentials = new VerifiedCredentialCache({ ttlMs: cfg.identity.credentialCacheTtlSec * 1000 });
    const credentials = this.credentials;
    this.kdf = new KdfPool({ ...(cfg.identity.kdfWorkers ? { workers: cfg.identity.kdfWorkers } : {}), maxQueue: cfg.identity.kdfQueue });
    // Through the field, so the pool in use is the one this.kdf names (a test may swap in one it controls).
    const kdf: Kdf = (pw, salt, len, o) => this.kdf.scrypt(pw, salt, len, o);
    const ports: Ports = {
      decisions: {
        user: (u) => this.users.get(u),
        userByCompId: (c) => this.users.byCompId(c),
        verifyPassword: async (u, pw) => {
          // The first logon pays scrypt; a reconnect within the TTL with the same password and hash does not.
          if (credentials.matches(u.username, u.passwordHash, pw)) return true;
          const ok = await verifyPassword(u.passwordHash, pw, kdf);
          if (ok) credentials.remember(u.username, u.passwordHash, pw);
          // A hash weaker than identity.scrypt is replaced now that the password is known (in the background).
          if (ok) void rehashIfWeaker(this.users, u.username, pw, cfg.identity.scrypt, kdf).then((done) => { const h = done && this.users.get(u.username)?.passwordHash; if (h) credentials.remember(u.username, h, pw); }, (e: unknown) => this.#log(`gateway: rehashing ${u.username}: ${(e as Error).message}`));
          return ok;
        },
        forgetVerifiedPassword: (username) => credentials.forget(username),
        score: (ctx) => scoreRisk(ctx, cfg.riskConfig),
        decideLogon: (ctx, enrolled) => decideAchievable(ctx, enrolled, cfg.riskConfig),
        authorize: (req) => this.policy.authorize(req),
        network: (ip) => classifyNetwork(ip, networks),
        country: (ip) => geo.country(ip),
      },
      posture: postureVerifier({
        maxAgeMs: cfg.attestation.maxAgeMs,
        maxReportAgeMs: cfg.attestation.maxReportAgeMs,
        evaluate: (report) => {
          const r = evaluatePosture(report, cfg.postureConfig);
          return { compliance: r.level, reasons: r.failures };
        },
        devices: deviceKeys,
      }),
      stepUps: new StepUpManager({
        // Used TOTP steps survive a restart: a code used just before it is still refused after it.
        totp: new TotpVerifier({ stateFile: `${p.dataDir}/totp-used.json` }), webauthn, getUser: (u) => this.users.get(u),
        ttlMs: cfg.stepUp.challengeTtlSec * 1000, maxAttempts: cfg.stepUp.maxAttempts, lockoutMs: cfg.stepUp.lockoutSec * 1000,
        // The signature counter moved: persist it so a cloned key shows up as a counter going backwards.
        onCredentialUsed: () => { this.users.save().catch((e: unknown) => this.#log(`gateway: saving ${p.users}: ${(e as Error).message}`)); },
      }),
      keys: new KeyRegistrations({
        webauthn, getUser: (u) => this.users.get(u), ttlMs: cfg.stepUp.challengeTtlSec * 1000,
        save: () => this.users.save(),
      }),
      recentAuth: new RecentAuth(),
      audit: this.audit,
      desk: this.desk,
      settings: {
        stepUp: cfg.stepUp,
        attestation: cfg.attestation,
        rateLimit: cfg.rateLimit,
        maxHeartBtIntSec: cfg.fix.maxHeartBtIntSec,
      },
      isRevoked: (serial) => this.registry.isRevoked(serial),
      certOwner: (serial) => this.registry.issued(serial)?.user,
    };
    // Anomalies add factors to every score and may hold a trading action for a step-up (gateway/anomaly).
    const anomaly = this.anomaly;
    const plain = ports.decisions;
    ports.decisions = { ...plain, score: (c) => plain.score(anomaly.score(c)), decideLogon: (c, e) => plain.decideLogon(anomaly.logon(c), e), authorize: (r) => anomaly.action(r, plain.authorize) };
    const metrics = this.telemetry.metrics;
    const d = ports.decisions;
    ports.decisions = { ...d, verifyPassword: (u, pw) => metrics.timed(metrics.passwordSeconds, () => d.verifyPassword(u, pw)), authorize: (req) => metrics.timed(metrics.policySeconds, () => d.authorize(req)) };
    // RFQ views are built for listeners only: the quote counters cost nothing unless /metrics is on.
    if (cfg.telemetry.metrics.enabled) this.desk.on('rfq', (v: Parameters<typeof metrics.rfqUpdate>[0]) => metrics.rfqUpdate(v));
    this.manager = new SessionManager(ports, {
      compId: cfg.fix.compId, heartBtIntSec: cfg.fix.maxHeartBtIntSec, logonTimeoutMs: cfg.fix.logonTimeoutMs,
      maxMessageBytes: cfg.fix.maxMessageBytes, storeDir: opts.memoryStores ? null : `${p.dataDir}/sessions`,
    });

    this.#fix = await createFixsServer({
      key: serverKey, cert: serverCert, ca: caPem, host: cfg.listen.host, port: cfg.listen.fixPort,
      allowTls12: cfg.fix.allowTls12,
      crl: () => this.crl.current(),
      onRefused: (info) => this.audit.event('connection.refused', info),
    }, (conn) => this.manager.onConnection(conn));
    this.fixPort = this.#fix.port;

    this.#enroll = new EnrollServer({
      host: cfg.listen.host, port: cfg.listen.enrollPort, serverCert, serverKey, ca: this.ca, tokens: this.tokens,
      registry: this.registry, certHours: cfg.pki.clientCertHours, crl: this.crl,
      userEnabled: (u) => { const x = this.users.get(u); return x ? !x.disabled : undefined; },
      maxChainAgeMs: cfg.enroll.renewalMaxAgeDays * 86_400_000,
      ...(tpmRoots.length ? { devices: { tpm: new TpmEnrollment({ roots: tpmRoots }), registry: this.devices, requireHardwareKey: cfg.devices.requireHardwareKey } } : {}),
      limits: { ...cfg.enroll, refusalWindowMs: cfg.enroll.refusalWindowSec * 1000 },
      onEvent: (e) => this.#enrollEvent(e),
    });
    this.enrollPort = await this.#enroll.listen();

    this.#admin = await serveAdmin(p.adminSocket, this);
    this.audit.event('gateway.started', { fixPort: this.fixPort, enrollPort: this.enrollPort, policyMode: this.policy.mode, config: cfg.source });
  }

  /** An enforced anomaly found mid-session: the user's live sessions are scored again (and end at denyAt). */
  #rescoreUser(username: string): void {
    for (const v of this.manager.list()) {
      if (v.user === username) this.manager.get(v.id)?.rescore('policy');
    }
  }

  /** Enrollment and CRL events: audited; alerted where they say so (refusals come aggregated, see enroll/refusals.ts). */
  #enrollEvent(e: { type: string; data: Record<string, unknown>; alert?: boolean }): void {
    this.audit.event(e.type, e.data);
    if (e.alert) this.audit.alert(e.type, e.data);
  }

  async reloadPolicy(by: string): Promise<{ ok: true; policies: number } | { ok: false; error: string }> {
    try {
      await this.policy.reload();
      this.audit.event('policy.reloaded', { by, policies: this.policy.policyIds.length, mode: this.policy.mode });
      return { ok: true, policies: this.policy.policyIds.length };
    } catch (e) {
      this.audit.event('policy.reload-failed', { by, error: (e as Error).message });
      this.audit.alert('policy.reload-failed', { by, error: (e as Error).message });
      return { ok: false, error: (e as Error).message };
    }
  }

  async reloadUsers(by: string): Promise<number> {
    const before = this.users;
    this.users = await UserDirectory.load(this.cfg.paths.users, this.secrets);
    // A changed password or a disabled (or removed) user drops the remembered credential at once.
    for (const old of before.list()) {
      const now = this.users.get(old.username);
      if (!now || now.disabled || now.passwordHash !== old.passwordHash) this.credentials.forget(old.username);
    }
    this.audit.event('users.reloaded', { by, users: this.users.list().length });
    return this.users.list().length;
  }

  /** Revokes a certificate: CRL rewritten (new handshakes refuse it) and live sessions using it ended at once. */
  async revoke(serial: string, reason: string, by: string): Promise<string[]> {
    const s = normSerial(serial);
    if (!/^[0-9a-f]{1,40}$/.test(s)) throw new Error(`not a certificate serial number: ${serial}`);
    // The admin command's own path (admin/certs.ts), so a revocation is done and audited one way only.
    return (await revokeSerials(gatewayContext(this), [s], reason, by)).ended;
  }

  async close(): Promise<void> {
    await this.manager?.close().catch(() => {});
    await this.#fix?.close().catch(() => {});
    await this.#enroll?.close().catch(() => {});
    this.crl?.stop();
    await this.#admin?.close().catch(() => {});
    this.desk?.close();
    this.desk?.trades.close();
    await this.kdf?.close().catch(() => {});
    if (this.auditLog) {
      await this.anomaly?.close().catch(() => {});
      await this.auditLog.append('gateway.stopped', {}).catch(() => {});
      await this.telemetry?.close().catch(() => {});
      await this.auditLog.close().catch(() => {});
    }
  }
}
