import { KeyObject, X509Certificate, sign, timingSafeEqual, verify } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { postureReportSchema, type PostureReport } from './report.ts';

/** RFC 5705 / RFC 8446 §7.5 exporter label both ends of the TLS session use to bind an attestation to it. */
export const EXPORTER_LABEL = 'EXPORTER-parley-posture';
export const EXPORTER_LENGTH = 32;
export const ATTESTATION_TYPE = 'parley-posture+jws';

/**
 * This TLS session's exporter value for posture binding. Both ends call this (no context argument, as RFC 8446
 * defines it for TLS 1.3); @types/node wrongly marks the optional context as required.
 */
export function tlsExporter(socket: TLSSocket): Uint8Array {
  const exportKeyingMaterial = socket.exportKeyingMaterial as (length: number, label: string) => Buffer;
  return new Uint8Array(exportKeyingMaterial.call(socket, EXPORTER_LENGTH, EXPORTER_LABEL));
}

/** Signs with the device key (held by main/ in the OS keychain); returns an ES256 signature, raw r||s. */
export type Signer = (data: Uint8Array) => Promise<Uint8Array>;

const MAX_JWS_CHARS = 512 * 1024;
const CLOCK_SKEW_MS = 60_000;

interface Payload {
  iat: number;
  collected_at: string;
  tls_exporter: string;
  report: PostureReport;
}

function b64u(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Strict base64url: only the alphabet, and only the canonical encoding (no ignored trailing bits). */
function unb64u(part: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part) || part.length % 4 === 1) return undefined;
  const buf = Buffer.from(part, 'base64url');
  return buf.toString('base64url') === part ? buf : undefined;
}

export async function createAttestation(args: {
  facts: PostureReport;
  exporter: Uint8Array;
  signer: Signer;
  keyId?: string;
  now?: Date;
}): Promise<string> {
  if (args.exporter.length !== EXPORTER_LENGTH) throw new Error(`exporter must be ${EXPORTER_LENGTH} bytes, got ${args.exporter.length}`);
  const now = args.now ?? new Date();
  const header = { alg: 'ES256', typ: ATTESTATION_TYPE, ...(args.keyId !== undefined ? { kid: args.keyId } : {}) };
  const payload: Payload = {
    iat: Math.floor(now.getTime() / 1000),
    collected_at: args.facts.collectedAt,
    tls_exporter: b64u(args.exporter),
    report: args.facts,
  };
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  const sig = toRawSignature(await args.signer(Buffer.from(signingInput, 'ascii')));
  return `${signingInput}.${b64u(sig)}`;
}

export function signerFromPrivateKey(key: KeyObject): Signer {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('ES256 needs an EC P-256 private key');
  }
  return async (data) => new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
}

export type VerifyResult = { ok: true; report: PostureReport; issuedAt: Date } | { ok: false; reason: string; detail?: string };

/**
 * Accepts an attestation only if it is signed by `publicKey`, was made for the TLS channel whose exporter value is
 * `exporter`, and was issued within maxAgeMs. Reasons: 'malformed', 'bad signature', 'bound to another TLS
 * channel', 'stale', 'issued in the future'.
 */
export async function verifyAttestation(
  jws: string,
  args: {
    publicKey: KeyObject | X509Certificate;
    exporter: Uint8Array;
    maxAgeMs: number;
    /** Optionally also bound the age of the facts themselves (the agent signs cached facts). */
    maxReportAgeMs?: number;
    now?: Date;
  },
): Promise<VerifyResult> {
  const bad = (reason: string, detail?: string): VerifyResult => ({ ok: false, reason, ...(detail ? { detail } : {}) });
  if (typeof jws !== 'string' || jws.length === 0) return bad('malformed', 'not a string');
  if (jws.length > MAX_JWS_CHARS) return bad('malformed', 'too large');
  const parts = jws.split('.');
  if (parts.length !== 3) return bad('malformed', 'not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const hb = unb64u(h);
  const pb = unb64u(p);
  const sb = unb64u(s);
  if (!hb || !pb || !sb) return bad('malformed', 'not canonical base64url');

  const header = parseJsonObject(hb);
  if (!header) return bad('malformed', 'header is not a JSON object');
  const allowed = new Set(['alg', 'typ', 'kid']);
  if (Object.keys(header).some((k) => !allowed.has(k))) return bad('malformed', 'unexpected header parameter');
  if (header.alg !== 'ES256') return bad('malformed', 'alg is not ES256');
  if (header.typ !== ATTESTATION_TYPE) return bad('malformed', 'wrong typ');
  if (header.kid !== undefined && typeof header.kid !== 'string') return bad('malformed', 'kid is not a string');

  const key = args.publicKey instanceof X509Certificate ? args.publicKey.publicKey : args.publicKey;
  if (!(key instanceof KeyObject) || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return bad('bad signature', 'verification key is not an EC P-256 key');
  }
  if (sb.length !== 64) return bad('bad signature', 'signature is not 64 bytes');
  let valid = false;
  try {
    valid = verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, sb);
  } catch {
    valid = false;
  }
  if (!valid) return bad('bad signature');

  const payload = parseJsonObject(pb);
  if (!payload) return bad('malformed', 'payload is not a JSON object');
  if (typeof payload.iat !== 'number' || !Number.isSafeInteger(payload.iat) || payload.iat < 0) return bad('malformed', 'no valid iat');
  if (typeof payload.tls_exporter !== 'string') return bad('malformed', 'no tls_exporter');
  const report = postureReportSchema.safeParse(payload.report);
  if (!report.success) return bad('malformed', `report: ${report.error.issues[0]?.message ?? 'invalid'}`);
  if (payload.collected_at !== report.data.collectedAt) return bad('malformed', 'collected_at does not match the report');

  const bound = unb64u(payload.tls_exporter);
  if (!bound || bound.length !== args.exporter.length || !timingSafeEqual(bound, Buffer.from(args.exporter))) {
    return bad('bound to another TLS channel');
  }

  const now = (args.now ?? new Date()).getTime();
  const issued = payload.iat * 1000;
  if (issued > now + CLOCK_SKEW_MS) return bad('issued in the future');
  if (now - issued > args.maxAgeMs) return bad('stale', `issued ${Math.round((now - issued) / 1000)} s ago, limit ${Math.round(args.maxAgeMs / 1000)} s`);
  if (args.maxReportAgeMs !== undefined) {
    const collected = Date.parse(report.data.collectedAt);
    if (collected > issued + CLOCK_SKEW_MS) return bad('malformed', 'facts collected after the attestation was issued');
    if (now - collected > args.maxReportAgeMs) return bad('stale', `facts collected ${Math.round((now - collected) / 1000)} s ago, limit ${Math.round(args.maxReportAgeMs / 1000)} s`);
  }
  return { ok: true, report: report.data as PostureReport, issuedAt: new Date(issued) };
}

/**
 * The gateway's one call: verifies against the client certificate and the exporter of the mutual-TLS socket the
 * attestation arrived on, so neither can be taken from anywhere else by mistake.
 */
export async function verifyAttestationOnSocket(
  jws: string,
  socket: TLSSocket,
  opts: { maxAgeMs: number; maxReportAgeMs?: number; now?: Date },
): Promise<VerifyResult> {
  const peer = socket.getPeerX509Certificate();
  if (!peer) return { ok: false, reason: 'no client certificate' };
  return verifyAttestation(jws, { ...opts, publicKey: peer, exporter: tlsExporter(socket) });
}

function parseJsonObject(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Accepts raw r||s, or a DER ECDSA-Sig-Value (what most keychains return) converted to raw. */
function toRawSignature(sig: Uint8Array): Uint8Array {
  if (sig.length === 64) return sig;
  const b = Buffer.from(sig);
  // SEQUENCE { INTEGER r, INTEGER s }, short-form lengths (P-256 signatures are < 128 bytes).
  if (b[0] === 0x30 && b[1] === b.length - 2 && b[2] === 0x02) {
    const rLen = b[3]!;
    const r = b.subarray(4, 4 + rLen);
    if (b[4 + rLen] === 0x02) {
      const sLen = b[5 + rLen]!;
      const s = b.subarray(6 + rLen, 6 + rLen + sLen);
      if (6 + rLen + sLen === b.length) {
        const fit = (x: Buffer): Buffer | undefined => {
          const t = x[0] === 0 ? x.subarray(1) : x;
          return t.length <= 32 ? Buffer.concat([Buffer.alloc(32 - t.length), t]) : undefined;
        };
        const rr = fit(r);
        const ss = fit(s);
        if (rr && ss) return Buffer.concat([rr, ss]);
      }
    }
  }
  throw new Error(`signer returned ${sig.length} bytes, expected a 64-byte ES256 signature`);
}
