// Issue 13 items 2-3 through the real gateway: enrollment over HTTPS with a TPM-held device key (swtpm), then FIX
// logons over mutual TLS whose posture must be signed by that key; the TLS key and certificate copied to another
// machine (posture signed by anything else) get "device not attested" and an alert naming the device.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttestation, EXPORTER_LABEL, EXPORTER_LENGTH, signerFromPrivateKey, type Signer } from '../../agent/attestation.ts';
import { TpmDeviceKey } from '../../agent/device-key/tpm.ts';
import { createPrivateKey } from 'node:crypto';
import type { FixMessage } from '../../fix/codec.ts';
import { parleyDictionary, TAG } from '../../fix/parley-protocol.ts';
import { initiateSession } from '../../fix/session.ts';
import { MemoryStore } from '../../fix/store.ts';
import { connectFixs } from '../../fix/transport.ts';
import { testCsr } from '../../gateway/enroll/test-pki.ts';
import { NONCE_CONTEXT } from '../../gateway/devices/tpm/enrollment.ts';
import { normSerial } from '../../gateway/enroll/registry.ts';
import { postureReport } from '../../gateway/session/test-client.ts';
import { startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { SoftwareTpm, swtpmMissing } from './swtpm.ts';

const missing = swtpmMissing();

function post(port: number, ca: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** A FIX logon whose posture is signed by `signer`: the gateway's Logon answer, or the Logout text it ended with. */
async function logon(t: TestGateway, cert: string, key: string, signer: Signer): Promise<{ accepted: true; reply: FixMessage } | { accepted: false; text: string }> {
  const alice = t.users.alice!;
  const conn = await connectFixs({ host: '127.0.0.1', port: t.gw.fixPort, ca: t.pki.caCertPem, cert, key, servername: 'localhost' });
  const jws = await createAttestation({ facts: postureReport(), exporter: conn.exporter(EXPORTER_LABEL, EXPORTER_LENGTH), signer });
  const fix = initiateSession(conn, {
    senderCompId: alice.compId, targetCompId: 'PARLEY', heartBtInt: 30, store: new MemoryStore(), dictionary: parleyDictionary(), resetOnLogon: true,
    logonFields: [{ tag: TAG.Username, value: 'alice' }, { tag: TAG.Password, value: alice.password }, { tag: TAG.Attestation, value: jws }],
  });
  fix.on('error', () => {});
  return new Promise((resolve) => {
    let text = '';
    fix.on('logout', (t: string | undefined) => { text = t ?? ''; });
    fix.on('logon', (m: FixMessage) => { resolve({ accepted: true, reply: m }); fix.logout('test done'); });
    fix.on('closed', () => resolve({ accepted: false, text }));
  });
}

const auditOf = (t: TestGateway, type: string) => readFileSync(join(t.dir, 'data', 'audit.jsonl'), 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> }).filter((e) => e.type === type).map((e) => e.data);

describe.skipIf(missing !== undefined)(`a hardware-bound device key at the gateway${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  let dir: string;
  let tpm: SoftwareTpm;
  let device: TpmDeviceKey;
  let t: TestGateway;
  let strict: TestGateway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tpm-gw-'));
    tpm = await SoftwareTpm.start(join(dir, 'tpm'));
    writeFileSync(join(dir, 'tpm-root.pem'), tpm.rootPem);
    device = await TpmDeviceKey.open({ stateDir: join(dir, 'agent'), tcti: tpm.tcti, ekIntermediates: [Buffer.from(tpm.intermediatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64')] });
    [t, strict] = await Promise.all([
      startTestGateway({ devices: { tpmRoots: [join(dir, 'tpm-root.pem')] } }, { users: ['alice'] }),
      startTestGateway({ devices: { tpmRoots: [join(dir, 'tpm-root.pem')], requireHardwareKey: true } }, { users: ['alice'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), strict?.close(), tpm?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls with the TPM, then accepts posture signed by the TPM key and refuses the same TLS key signing it elsewhere', async () => {
    const { token } = t.gw.tokens.issue({ user: 'alice', compId: t.users.alice!.compId, ttlMs: 600_000 });
    const challenge = await post(t.gw.enrollPort, t.pki.caCertPem, '/v1/device/challenge', { token, evidence: await device.enrollmentEvidence() });
    expect(challenge.status).toBe(200);
    const c = challenge.json as { challengeId: string; credentialBlob: string; nonce: string };
    const secret = await device.activateCredential(Buffer.from(c.credentialBlob, 'base64'));
    const nonceSignature = await device.signDer(Buffer.concat([Buffer.from(NONCE_CONTEXT), Buffer.from(c.nonce, 'base64')]));
    const { csr, key } = await testCsr();
    const enrolled = await post(t.gw.enrollPort, t.pki.caCertPem, '/v1/enroll', { token, csr, device: { challengeId: c.challengeId, secret: secret.toString('base64'), nonceSignature: nonceSignature.toString('base64') } });
    expect(enrolled.status).toBe(200);
    const [rec] = t.gw.devices.list();
    expect(rec).toMatchObject({ user: 'alice', keyClass: 'hardware' });
    expect(t.gw.registry.issued(enrolled.json.serial as string)?.deviceId).toBe(rec!.deviceId);
    const cert = enrolled.json.certificate as string;

    // On the enrolled machine: the TPM signs the channel-bound posture; the logon goes on to its step-up.
    const ok = await logon(t, cert, key, (d) => device.sign(d));
    expect(ok.accepted).toBe(true);
    if (ok.accepted) expect(ok.reply.get(TAG.Decision)).toBe('STEP_UP');

    // Key and certificate copied to another machine: without the TPM the best signer is the TLS key itself.
    const copied = await logon(t, cert, key, signerFromPrivateKey(createPrivateKey(key)));
    expect(copied).toEqual({ accepted: false, text: expect.stringContaining(`attestation refused (device): device not attested: the posture is not signed by device ${rec!.deviceId.slice(0, 16)}'s hardware-bound key`) });
    for (let i = 0; i < 200 && auditOf(t, 'alert').every((a) => a.kind !== 'device.foreign-signer'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(auditOf(t, 'alert')).toContainEqual(expect.objectContaining({ kind: 'device.foreign-signer', deviceId: rec!.deviceId, serial: normSerial(enrolled.json.serial as string) }));

    // IT revokes the device: even its own TPM-signed posture is refused.
    expect(t.gw.devices.revoke(rec!.deviceId, 'laptop reported stolen', 'it-admin', new Date())).toBe(true);
    expect(await logon(t, cert, key, (d) => device.sign(d))).toEqual({ accepted: false, text: expect.stringContaining(`device ${rec!.deviceId.slice(0, 16)} was revoked by IT`) });
  });

  it('where IT requires a hardware-bound key, a software-key enrollment and a certificate without a device are refused with the reason', async () => {
    const { token } = strict.gw.tokens.issue({ user: 'alice', compId: strict.users.alice!.compId, ttlMs: 600_000 });
    const { csr } = await testCsr();
    const r = await post(strict.gw.enrollPort, strict.pki.caCertPem, '/v1/enroll', { token, csr });
    expect(r).toEqual({ status: 403, json: { code: 'hardware-key-required', error: 'IT requires a hardware-bound device key (TPM) on this device; a software key cannot enroll' } });
    const leaf = strict.pki.clients[strict.users.alice!.compId]!.ec;
    expect(await logon(strict, leaf.certPem, leaf.keyPem, signerFromPrivateKey(createPrivateKey(leaf.keyPem))))
      .toEqual({ accepted: false, text: expect.stringContaining('device not attested: IT requires a hardware-bound device key and this certificate has none') });
    // A garbage challenge request gets a clear 400, and the endpoint keeps serving.
    expect((await post(strict.gw.enrollPort, strict.pki.caCertPem, '/v1/device/challenge', { token, evidence: { ekCertificate: 'x' } })).status).toBe(400);
    expect((await post(strict.gw.enrollPort, strict.pki.caCertPem, '/v1/device/challenge', { token: 'not-a-token-at-all', evidence: await device.enrollmentEvidence() })).status).toBe(401);
  });
});
