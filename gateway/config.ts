/**
 * The gateway's configuration: one JSON file, validated with zod at start.
 * Every section has embedded defaults, so `{}` is a working (dev) config; relative paths
 * resolve against the config file's folder, and runtime state lives under `dataDir`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { anomalySchema } from './anomaly/config.ts';
import { webhookAllowed } from './audit/log.ts';
import { compileNetworks } from './policy/network.ts';
import { parsePosturePolicy, type PosturePolicy } from './posture/policy.ts';
import { parseRiskConfig, type RiskConfig } from './risk/score.ts';

const port = z.number().int().min(0).max(65535);
/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
const HOSTNAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// A deployment listens on its interface's address (or 0.0.0.0 / ::); the default stays loopback for dev.
const listenHost = z.string().max(253).refine((h) => isIP(h) !== 0 || HOSTNAME.test(h), {
  message: 'must be an IP address (e.g. 127.0.0.1, 10.1.2.3, 0.0.0.0, ::) or a host name',
});
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'expected a CIDR like 10.0.0.0/8');

const dealer = z.object({
  name: z.string().min(1).max(64),
  delayMs: z.number().int().min(0).max(60_000).default(250),
  spreadBps: z.number().min(0).max(10_000).default(10),
}).strict();

const instrument = z.object({
  symbol: z.string().min(1).max(32),
  description: z.string().max(128).default(''),
  currency: z.string().length(3).default('USD'),
  mid: z.number().positive(),
}).strict();

const DEFAULT_INSTRUMENTS = [
  { symbol: 'US912828ZT0', description: 'UST 0.25% 2025', currency: 'USD', mid: 99.25 },
  { symbol: 'XS2010028343', description: 'ACME Corp 2.5% 2029', currency: 'EUR', mid: 96.8 },
  { symbol: 'DE0001102580', description: 'Bund 0% 2032', currency: 'EUR', mid: 82.4 },
  { symbol: 'GB00BMF9LG83', description: 'Gilt 0.5% 2029', currency: 'GBP', mid: 88.1 },
];

export const configSchema = z.object({
  dataDir: z.string().min(1).default('.data/gateway'),
  listen: z.object({
    host: listenHost.default('127.0.0.1'),
    fixPort: port.default(0),
    enrollPort: port.default(0),
  }).strict().prefault({}),
  fix: z.object({
    compId: z.string().min(1).max(64).default('PARLEY'),
    /**
     * The longest HeartBtInt(108) a client may ask for. The acceptor follows the client's value, as FIX
     * prescribes; a Logon asking for none (0) or more than this is refused, so a dead connection is always
     * noticed within about 2.4 × this.
     */
    maxHeartBtIntSec: z.number().int().min(1).max(300).default(60),
    logonTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxMessageBytes: z.number().int().min(256).max(1_048_576).default(65_536),
    /**
     * Also accept TLS 1.2 on the FIX port, for engines that cannot do 1.3: ECDHE key exchange with AEAD suites
     * (AES-GCM, ChaCha20-Poly1305) only, no CBC, no RSA key exchange, no renegotiation. Off: TLS 1.3 only.
     */
    allowTls12: z.boolean().default(false),
  }).strict().prefault({}),
  pki: z.object({
    /** Folder of the dev PKI (fix/pki): ca.crt.pem, ca.key.pem, gateway.ec.crt.pem, gateway.ec.key.pem unless named below. */
    dir: z.string().default('pki'),
    caCert: z.string().optional(),
    caKey: z.string().optional(),
    serverCert: z.string().optional(),
    serverKey: z.string().optional(),
    /** Lifetime of enrolled client certificates: short, so renewal is the normal path. */
    clientCertHours: z.number().int().min(1).max(24 * 90).default(72),
  }).strict().prefault({}),
  /** The enrollment endpoint and the CRL (issue 10 items 2, 5, 6). */
  enroll: z.object({
    /** A renewal chain ends this long after its enrollment with a token: then the user enrolls again. */
    renewalMaxAgeDays: z.number().positive().max(3_650).default(30),
    /** CRL thisUpdate → nextUpdate; it is re-issued when half of this has passed. */
    crlValiditySec: z.number().int().min(2).max(30 * 86_400).default(86_400),
    handshakeTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    headersTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxConnections: z.number().int().min(1).max(100_000).default(256),
    maxConnectionsPerIp: z.number().int().min(1).max(100_000).default(32),
    requestsPerMinutePerIp: z.number().int().min(1).max(1_000_000).default(60),
    /** Refused requests after the first of this window are one summary line (and one alert) at its end. */
    refusalWindowSec: z.number().int().min(1).max(86_400).default(60),
  }).strict().prefault({}),
  /** Hardware-bound device keys (issue 13): TPM enrollment, and whether IT requires it. */
  devices: z.object({
    /** PEM files of the TPM manufacturers' EK root CAs trusted at enrollment; none = no TPM enrollment offered. */
    tpmRoots: z.array(z.string().min(1)).max(64).default([]),
    /** Refuse enrollment and posture from devices without a hardware-bound key (needs tpmRoots). */
    requireHardwareKey: z.boolean().default(false),
  }).strict().refine((d) => !d.requireHardwareKey || d.tpmRoots.length > 0, 'requireHardwareKey needs at least one of tpmRoots').prefault({}),
  users: z.string().default('users.json'),
  identity: z.object({
    /** AES-256-GCM key sealing TOTP seeds in the user directory (created 0600 at first start); default `<users>.key`. */
    secretsKeyFile: z.string().nullable().default(null),
    /** How long a password verified with scrypt is remembered (keyed HMAC) so a reconnect skips scrypt; 0 = off. */
    credentialCacheTtlSec: z.number().int().min(0).max(86_400).default(900),
    /** scrypt cost of new password hashes; a weaker stored hash is rehashed at the user's next good logon. */
    scrypt: z.object({
      N: z.number().int().min(1024).max(1 << 20).refine((n) => (n & (n - 1)) === 0, 'must be a power of two').default(1 << 17),
      r: z.number().int().min(1).max(32).default(8),
      p: z.number().int().min(1).max(16).default(1),
    }).strict().prefault({}),
    /** Password-hashing worker threads (identity/kdf-pool.ts); null = cores - 1 (at least 1, at most 4). */
    kdfWorkers: z.number().int().min(1).max(16).nullable().default(null),
    /** Hashes that may wait for a worker; past that a logon is refused "busy, retry" instead of queueing. */
    kdfQueue: z.number().int().min(0).max(10_000).default(32),
  }).strict().prefault({}),
  policy: z.object({
    /** Folder of *.cedar files and the schema; null = the shipped default policy (gateway/policy/default). */
    dir: z.string().nullable().default(null),
    mode: z.enum(['enforce', 'log-only']).default('enforce'),
  }).strict().prefault({}),
  geoip: z.object({ mmdb: z.string().nullable().default(null) }).strict().prefault({}),
  network: z.object({
    /** Corporate LAN: the access policy's "corporate-lan", and the risk score's corporate network unless risk.network says otherwise. */
    corporate: z.array(cidr).default(['127.0.0.0/8', '10.0.0.0/8', '::1/128']),
    /** Labelled networks for the access policy (e.g. privileged access workstations). */
    zones: z.record(z.string(), z.array(cidr)).default({}),
  }).strict().prefault({}),
  /** Risk-score factors, handed to the decision core's scoreRisk as they are. */
  risk: z.record(z.string(), z.unknown()).default({}),
  /** Posture policy, handed to gateway/posture as it is. */
  posture: z.record(z.string(), z.unknown()).default({}),
  stepUp: z.object({
    methods: z.array(z.enum(['totp', 'webauthn'])).min(1).default(['totp', 'webauthn']),
    challengeTtlSec: z.number().int().min(10).max(900).default(120),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** After maxAttempts wrong answers (or 5 wrong passwords) the user is locked out this long. */
    lockoutSec: z.number().int().min(1).max(86_400).default(900),
    /** RFC 9470 max_age: an action step-up older than this is asked again. */
    maxAuthAgeSec: z.number().int().min(0).max(86_400).default(900),
    /** An RFQ above this notional needs a second factor within maxAuthAgeSec (the access policy's default too). */
    rfqNotionalLimit: z.number().positive().default(50_000_000),
    rpId: z.string().default('localhost'),
    origin: z.string().default('https://localhost'),
  }).strict().prefault({}),
  attestation: z.object({
    maxAgeMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
    /** The agent signs cached facts: bound how old the facts themselves may be. */
    maxReportAgeMs: z.number().int().min(1_000).max(7 * 86_400_000).default(3_600_000),
    reattestIntervalSec: z.number().min(0.2).max(86_400).default(300),
    graceSec: z.number().min(0).max(3_600).default(30),
    onLapse: z.enum(['end', 'downgrade']).default('end'),
  }).strict().prefault({}),
  rateLimit: z.object({
    messagesPerSec: z.number().min(1).max(100_000).default(50),
    burst: z.number().int().min(1).max(100_000).default(100),
  }).strict().prefault({}),
  desk: z.object({
    dealers: z.array(dealer).min(1).max(64).default([
      { name: 'DLR1', delayMs: 150, spreadBps: 8 },
      { name: 'DLR2', delayMs: 300, spreadBps: 12 },
      { name: 'DLR3', delayMs: 500, spreadBps: 20 },
    ]),
    quoteTtlMs: z.number().int().min(100).max(600_000).default(15_000),
    /** Bounds the RFQ book under a flood: open RFQs per user. */
    maxOpenRfqsPerUser: z.number().int().min(1).max(1_000_000).default(200),
    /** Closed RFQs stay known this long (a late hit reads "expired", not "unknown")… */
    closedRfqRetentionSec: z.number().int().min(1).max(86_400).default(600),
    /** …and at most this many of them (memory under a flood). */
    maxClosedRfqs: z.number().int().min(0).max(10_000_000).default(20_000),
    instruments: z.array(instrument).min(1).max(10_000).default(DEFAULT_INSTRUMENTS),
  }).strict().prefault({}),
  audit: z.object({
    file: z.string().default('audit.jsonl'),
    /** The audit chain's HMAC key (created 0600 at first start); default `<file>.key`. Keep it off the log's disk if you can. */
    keyFile: z.string().nullable().default(null),
    /** Keyed checkpoints of the chain; default `<file>.checkpoints`. */
    checkpointFile: z.string().nullable().default(null),
    alertWebhook: z.string().url().refine(webhookAllowed, {
      message: 'must be an https URL (http only to a loopback host: 127.0.0.1, localhost or [::1])',
    }).nullable().default(null),
  }).strict().prefault({}),
  admin: z.object({ socket: z.string().default('admin.sock') }).strict().prefault({}),
  /** SIEM export and Prometheus metrics (gateway/telemetry, docs/operations.md); both off by default. */
  telemetry: z.object({
    syslog: z.object({
      enabled: z.boolean().default(false),
      host: listenHost.default('127.0.0.1'),
      port: port.default(6514),
      /** CA file the receiver's certificate must chain to; null = the gateway's own CA (pki.caCert). */
      caFile: z.string().nullable().default(null),
      /** Client certificate and key presented to the receiver (rsyslog AuthMode x509/name); null = none. */
      certFile: z.string().nullable().default(null),
      keyFile: z.string().nullable().default(null),
      serverName: z.string().max(253).nullable().default(null),
      facility: z.number().int().min(0).max(23).default(13),
      appName: z.string().min(1).max(48).default('parley-gateway'),
      hostname: z.string().min(1).max(255).nullable().default(null),
      /** Where the export resumes after a restart (under dataDir unless absolute). */
      cursorFile: z.string().default('siem.cursor'),
      replayWindow: z.number().int().min(0).max(1_000_000).default(1000),
      replayBytes: z.number().int().min(0).max(1 << 30).default(8 * 1024 * 1024),
      maxBufferedBytes: z.number().int().min(4096).max(64 * 1024 * 1024).default(256 * 1024),
      maxMessageBytes: z.number().int().min(2048).max(1024 * 1024).default(64 * 1024),
      pollMs: z.number().int().min(10).max(60_000).default(250),
    }).strict().refine((s) => (s.certFile === null) === (s.keyFile === null), { message: 'certFile and keyFile go together' }).prefault({}),
    metrics: z.object({
      enabled: z.boolean().default(false),
      host: listenHost.default('127.0.0.1'),
      port: port.default(9464),
      /** HTTPS with the gateway's certificate; scrapers must present a certificate from the gateway's CA. */
      tls: z.boolean().default(false),
    }).strict().refine((m) => m.tls || ['127.0.0.1', '::1', 'localhost'].includes(m.host), {
      message: 'a metrics listener off loopback must use tls: true (mutual TLS with the gateway CA)',
    }).prefault({}),
  }).strict().prefault({}),
  /** Anomaly rules feeding the risk score (gateway/anomaly/config.ts); every rule off by default. */
  anomaly: anomalySchema.prefault({}),
}).strict();

export type GatewayConfigInput = z.input<typeof configSchema>;
export type GatewayConfig = z.output<typeof configSchema> & {
  /** Absolute path of the file this came from (or '<inline>'). */
  source: string;
  /** The `risk` section merged over the decision core's defaults (corporate CIDRs from `network.corporate`). */
  riskConfig: RiskConfig;
  /** The `posture` section merged over the posture defaults. */
  postureConfig: PosturePolicy;
  /** Absolute paths, resolved once. */
  paths: ResolvedPaths;
};
export type ResolvedPaths = {
  dataDir: string; users: string; usersKey: string; policyDir: string; mmdb: string | null; audit: string; auditKey: string; auditCheckpoints: string; adminSocket: string;
  trades: string; tokens: string; issued: string; revoked: string; crl: string; devices: string; tpmRoots: string[];
  caCert: string; caKey: string; serverCert: string; serverKey: string;
};

export class ConfigError extends Error {
  readonly file: string;
  readonly issues: { field: string; message: string }[];
  constructor(file: string, issues: { field: string; message: string }[]) {
    super(`${file}: invalid configuration\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Validates an already-parsed value; `file` names it in errors and anchors relative paths. */
export function parseConfig(value: unknown, file: string): GatewayConfig {
  const r = configSchema.safeParse(value);
  if (!r.success) {
    throw new ConfigError(file, r.error.issues.map((i) => {
      // Unknown keys carry the offending names in `keys`, not in the path.
      const keys = (i as { keys?: string[] }).keys;
      const path = keys?.length ? [...i.path, keys.join(',')] : i.path;
      return { field: fieldOf(path), message: i.message };
    }));
  }
  const c = r.data;
  // Sections owned by the decision core are validated by it; its messages start with the field path.
  const section = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      const msg = (e as Error).message;
      const m = /^([A-Za-z0-9_.[\]-]+): (.*)$/s.exec(msg);
      throw new ConfigError(file, [{ field: m ? m[1]! : '(section)', message: m ? m[2]! : msg }]);
    }
  };
  const riskInput = { ...c.risk } as Record<string, unknown>;
  const riskNet = (riskInput.network ?? {}) as Record<string, unknown>;
  if (typeof riskNet === 'object' && riskNet !== null && !('corporateCidrs' in riskNet)) {
    riskInput.network = { ...riskNet, corporateCidrs: c.network.corporate };
  }
  const riskConfig = section(() => parseRiskConfig(riskInput, 'risk'));
  const postureConfig = section(() => parsePosturePolicy(c.posture, 'posture'));
  section(() => compileNetworks(c.network, 'network'));
  const base = file === '<inline>' ? process.cwd() : dirname(file);
  const at = (p: string, from = base) => (isAbsolute(p) ? p : resolve(from, p));
  const dataDir = at(c.dataDir);
  const pkiDir = at(c.pki.dir, dataDir);
  return {
    ...c,
    source: file,
    riskConfig,
    postureConfig,
    paths: {
      dataDir,
      users: at(c.users, dataDir),
      usersKey: c.identity.secretsKeyFile === null ? `${at(c.users, dataDir)}.key` : at(c.identity.secretsKeyFile, dataDir),
      policyDir: c.policy.dir === null ? fileURLToPath(new URL('./policy/default', import.meta.url)) : at(c.policy.dir),
      mmdb: c.geoip.mmdb === null ? null : at(c.geoip.mmdb),
      audit: at(c.audit.file, dataDir),
      auditKey: c.audit.keyFile === null ? `${at(c.audit.file, dataDir)}.key` : at(c.audit.keyFile, dataDir),
      auditCheckpoints: c.audit.checkpointFile === null ? `${at(c.audit.file, dataDir)}.checkpoints` : at(c.audit.checkpointFile, dataDir),
      adminSocket: at(c.admin.socket, dataDir),
      trades: resolve(dataDir, 'trades.jsonl'),
      tokens: resolve(dataDir, 'enroll-tokens.json'),
      issued: resolve(dataDir, 'issued-certs.jsonl'),
      revoked: resolve(dataDir, 'revoked.json'),
      crl: resolve(dataDir, 'crl.pem'),
      devices: resolve(dataDir, 'devices.json'),
      tpmRoots: c.devices.tpmRoots.map((r) => at(r)),
      caCert: at(c.pki.caCert ?? 'ca.crt.pem', pkiDir),
      caKey: at(c.pki.caKey ?? 'ca.key.pem', pkiDir),
      serverCert: at(c.pki.serverCert ?? 'gateway.ec.crt.pem', pkiDir),
      serverKey: at(c.pki.serverKey ?? 'gateway.ec.key.pem', pkiDir),
    },
  };
}

/** Reads and validates a config file; every failure names the file, and the field when there is one. */
export function loadConfig(file: string): GatewayConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new ConfigError(abs, [{ field: '(file)', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  if (text.length > 1_048_576) throw new ConfigError(abs, [{ field: '(file)', message: 'larger than 1 MiB' }]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(abs, [{ field: '(file)', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  return parseConfig(value, abs);
}
