import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttestation, EXPORTER_LABEL, EXPORTER_LENGTH, signerFromPrivateKey, tlsExporter, verifyAttestation, verifyAttestationOnSocket } from './attestation.ts';
import type { PostureReport } from './report.ts';
import { createTestPki, type TestPki } from './testing/pki.ts';

const report: PostureReport = {
  agentVersion: '0.1.0',
  collectedAt: '2026-11-21T10:00:00.000Z',
  platform: 'linux',
  os: { platform: 'linux', distro: 'Debian GNU/Linux 12 (bookworm)', id: 'debian', version: '12', build: '', kernel: '6.1.0', arch: 'x64' },
  facts: [
    { id: 'disk.encryption', label: 'System disk encryption', status: 'pass', value: { encrypted: true }, evidence: { command: 'lsblk', args: ['-J'] } },
    { id: 'firewall', label: 'Firewall', status: 'unknown', reason: 'nft is not installed', evidence: { command: 'nft', error: 'missing' } },
  ],
};

/**
 * A real mutual-TLS 1.3 server on 127.0.0.1: for each connection it reads one line (an attestation), verifies it
 * against the client certificate's key and this connection's exporter value, and answers with the verdict.
 */
interface Verdict {
  ok: boolean;
  reason?: string;
  detail?: string;
  facts?: number;
}

let pki: TestPki;
let server: Server;
let port: number;
const now = new Date('2026-11-21T10:00:30.000Z');

beforeAll(async () => {
  pki = await createTestPki();
  server = createServer({
    key: pki.server.keyPem,
    cert: pki.server.certPem,
    ca: pki.ca.certPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      // Test hook: "wrongkey:" asks the server to verify against another device's certificate.
      const useOther = line.startsWith('wrongkey:');
      const jws = useOther ? line.slice('wrongkey:'.length) : line;
      const verdictFor = useOther
        ? verifyAttestation(jws, { publicKey: new X509Certificate(pki.otherClient.certPem), exporter: tlsExporter(socket), maxAgeMs: 120_000, now })
        : verifyAttestationOnSocket(jws, socket, { maxAgeMs: 120_000, now });
      void verdictFor.then((r) => {
        const verdict: Verdict = r.ok ? { ok: true, facts: r.report.facts.length } : { ok: false, reason: r.reason, ...(r.detail ? { detail: r.detail } : {}) };
        socket.end(`${JSON.stringify(verdict)}\n`);
      });
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server?.close();
  await pki?.cleanup();
});

async function openClient(): Promise<TLSSocket> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pki.ca.certPem,
    cert: pki.client.certPem,
    key: pki.client.keyPem,
    minVersion: 'TLSv1.3',
  });
  await once(socket, 'secureConnect');
  expect(socket.authorized).toBe(true);
  expect(socket.getProtocol()).toBe('TLSv1.3');
  return socket;
}

async function send(socket: TLSSocket, line: string): Promise<Verdict> {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (buf += c));
  socket.write(`${line}\n`);
  await once(socket, 'end');
  socket.destroy();
  return JSON.parse(buf.trim()) as Verdict;
}

const clientSigner = () => signerFromPrivateKey(createPrivateKey(pki.client.keyPem));

async function attestOn(socket: TLSSocket, at = now): Promise<string> {
  const exporter = tlsExporter(socket);
  return createAttestation({ facts: report, exporter, signer: clientSigner(), keyId: 'device-1', now: at });
}

describe('attestation over a live mutual-TLS session', () => {
  it('is accepted on the channel it was made for', async () => {
    const socket = await openClient();
    // The helper is exactly the RFC 5705 exporter both peers compute.
    expect(Buffer.from(tlsExporter(socket))).toEqual(socket.exportKeyingMaterial(EXPORTER_LENGTH, EXPORTER_LABEL, Buffer.alloc(0)));
    const jws = await attestOn(socket);
    expect(await send(socket, jws)).toEqual({ ok: true, facts: 2 });
  });

  it('is refused when replayed on another TLS connection', async () => {
    const first = await openClient();
    const jws = await attestOn(first);
    expect(await send(first, jws)).toMatchObject({ ok: true });
    const second = await openClient();
    expect(await send(second, jws)).toMatchObject({ ok: false, reason: 'bound to another TLS channel' });
  });

  it('is refused when any single byte is altered', async () => {
    const probe = await openClient();
    const jws = await attestOn(probe);
    probe.destroy();
    const [h, p] = jws.split('.') as [string, string, string];
    // One position in each part and the very last character (whose low bits base64 could ignore).
    const positions = [3, h.length + 1 + Math.floor(p.length / 2), jws.length - 10, jws.length - 1];
    for (const pos of positions) {
      const socket = await openClient();
      const fresh = await attestOn(socket);
      const c = fresh[pos]!;
      const flipped = fresh.slice(0, pos) + (c === 'A' ? 'B' : 'A') + fresh.slice(pos + 1);
      const verdict = await send(socket, flipped);
      expect(verdict.ok, `flip at ${pos}`).toBe(false);
      expect(['bad signature', 'malformed']).toContain(verdict.reason);
    }
  });

  it('is refused when stale', async () => {
    const socket = await openClient();
    const jws = await attestOn(socket, new Date(now.getTime() - 10 * 60_000));
    expect(await send(socket, jws)).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('is refused when issued in the future', async () => {
    const socket = await openClient();
    const jws = await attestOn(socket, new Date(now.getTime() + 10 * 60_000));
    expect(await send(socket, jws)).toMatchObject({ ok: false, reason: 'issued in the future' });
  });

  it('is refused under another device key', async () => {
    const socket = await openClient();
    const jws = await attestOn(socket);
    expect(await send(socket, `wrongkey:${jws}`)).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('keeps serving after garbage', async () => {
    for (const junk of ['', 'x', 'a.b.c', '...', 'eyJhbGciOiJub25lIn0.e30.', '\u0000\u0001', 'A'.repeat(600_000)]) {
      const socket = await openClient();
      const verdict = await send(socket, junk);
      expect(verdict.ok).toBe(false);
    }
    const socket = await openClient();
    expect(await send(socket, await attestOn(socket))).toMatchObject({ ok: true });
  });
});

describe('verifyAttestation without TLS', () => {
  const exporter = new Uint8Array(EXPORTER_LENGTH).fill(7);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = signerFromPrivateKey(privateKey);

  it('refuses alg none, alg swaps and extra header parameters', async () => {
    const good = await createAttestation({ facts: report, exporter, signer, now });
    const [, p, s] = good.split('.') as [string, string, string];
    const hdr = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const h of [hdr({ alg: 'none', typ: 'parley-posture+jws' }), hdr({ alg: 'HS256', typ: 'parley-posture+jws' }), hdr({ alg: 'ES256', typ: 'parley-posture+jws', crit: ['x'] }), hdr({ alg: 'ES256' })]) {
      const r = await verifyAttestation(`${h}.${p}.${s}`, { publicKey, exporter, maxAgeMs: 60_000, now });
      expect(r.ok).toBe(false);
    }
  });

  it('refuses a validly signed payload that is not a posture report', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'parley-posture+jws' })).toString('base64url');
    for (const payload of [{ iat: 1, tls_exporter: 'x' }, { iat: Math.floor(now.getTime() / 1000), collected_at: report.collectedAt, tls_exporter: Buffer.from(exporter).toString('base64url'), report: { ...report, facts: 'no' } }, [1, 2]]) {
      const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const sig = Buffer.from(await signer(Buffer.from(`${h}.${p}`))).toString('base64url');
      const r = await verifyAttestation(`${h}.${p}.${sig}`, { publicKey, exporter, maxAgeMs: 60_000, now });
      expect(r).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('optionally bounds the age of the facts, not only of the signature', async () => {
    const jws = await createAttestation({ facts: report, exporter, signer, now });
    // report.collectedAt is 30 s before `now`.
    expect(await verifyAttestation(jws, { publicKey, exporter, maxAgeMs: 60_000, maxReportAgeMs: 60_000, now })).toMatchObject({ ok: true });
    expect(await verifyAttestation(jws, { publicKey, exporter, maxAgeMs: 60_000, maxReportAgeMs: 10_000, now })).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('accepts a DER signature from the signer and rejects RSA keys', async () => {
    const { sign } = await import('node:crypto');
    const derSigner = async (d: Uint8Array) => new Uint8Array(sign('sha256', d, privateKey));
    const jws = await createAttestation({ facts: report, exporter, signer: derSigner, now });
    expect(await verifyAttestation(jws, { publicKey, exporter, maxAgeMs: 60_000, now })).toMatchObject({ ok: true });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await verifyAttestation(jws, { publicKey: rsa.publicKey, exporter, maxAgeMs: 60_000, now })).toMatchObject({ ok: false, reason: 'bad signature' });
    expect(() => signerFromPrivateKey(rsa.privateKey)).toThrow(/P-256/);
    await expect(createAttestation({ facts: report, exporter: new Uint8Array(5), signer, now })).rejects.toThrow(/32 bytes/);
  });
});
