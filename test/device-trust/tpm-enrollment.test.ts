// Issue 13 items 1-2 with real parts: a software TPM 2.0 (swtpm) holding the device key, driven by the agent's
// tpm2-tools backend, and the gateway's enrollment verifier checking the EK chain, the certify and the credential.
import { X509Certificate, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftwareDeviceKey } from '../../agent/device-key/device-key.ts';
import { TpmDeviceKey } from '../../agent/device-key/tpm.ts';
import { NONCE_CONTEXT, TpmEnrollment } from '../../gateway/devices/tpm/enrollment.ts';
import { SoftwareTpm, swtpmMissing } from './swtpm.ts';

const missing = swtpmMissing();
const der = (pem: string) => new X509Certificate(pem).raw;

describe.skipIf(missing !== undefined)(`device key in a TPM 2.0, attested at enrollment${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  let dir: string;
  let tpm: SoftwareTpm;
  let other: SoftwareTpm;
  let key: TpmDeviceKey;
  let gateway: TpmEnrollment;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tpm-'));
    [tpm, other] = await Promise.all([SoftwareTpm.start(join(dir, 'laptop')), SoftwareTpm.start(join(dir, 'elsewhere'), 'Unknown maker')]);
    key = await TpmDeviceKey.open({ stateDir: join(dir, 'laptop-agent'), tcti: tpm.tcti, ekIntermediates: [der(tpm.intermediatePem)] });
    // IT configured the laptop TPM's manufacturer root only.
    gateway = new TpmEnrollment({ roots: [new X509Certificate(tpm.rootPem)] });
  });
  afterAll(async () => {
    await Promise.all([tpm?.stop(), other?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The agent's side of both round trips against `g`. */
  async function enroll(k: TpmDeviceKey, g: TpmEnrollment) {
    const challenge = g.begin(await k.enrollmentEvidence());
    if (!challenge.ok) return challenge;
    const secret = await k.activateCredential(Buffer.from(challenge.value.credentialBlob, 'base64'));
    const nonceSignature = await k.signDer(Buffer.concat([Buffer.from(NONCE_CONTEXT), Buffer.from(challenge.value.nonce, 'base64')]));
    return g.finish({ challengeId: challenge.value.challengeId, secret: secret.toString('base64'), nonceSignature: nonceSignature.toString('base64') });
  }

  it('enrolls the TPM-held key as hardware-bound, and that key then signs posture (ES256) the gateway verifies', async () => {
    const r = await enroll(key, gateway);
    expect(r).toMatchObject({ ok: true, value: { keyClass: 'hardware' } });
    if (!r.ok) return;
    expect(createPublicKey(r.value.publicKeyPem).export({ format: 'jwk' })).toEqual(createPublicKey(await key.publicKeyPem()).export({ format: 'jwk' }));
    expect(r.value.ekCertSha256).toMatch(/^[0-9a-f]{64}$/);
    const payload = Buffer.from('header.payload-of-a-posture-jws');
    const raw = await key.sign(payload);
    expect(raw.length).toBe(64);
    expect(verify('sha256', payload, { key: createPublicKey(r.value.publicKeyPem), dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
  });

  it('a copy of the evidence without the TPM cannot answer: the credential only unwraps in that TPM', async () => {
    const copied = await key.enrollmentEvidence();
    const challenge = gateway.begin(copied);
    expect(challenge.ok).toBe(true);
    if (!challenge.ok) return;
    // The thief has the files and a software key, not the TPM: the best it can send is a guess.
    const thief = SoftwareDeviceKey.generate();
    const sig = await thief.sign(Buffer.from(challenge.value.nonce, 'base64'));
    expect(gateway.finish({ challengeId: challenge.value.challengeId, secret: randomBytes(32).toString('base64'), nonceSignature: Buffer.from(sig).toString('base64') }))
      .toEqual({ ok: false, reason: 'the credential was not unwrapped by the TPM the EK certificate names' });
    // Another TPM with an attestation key of its own cannot unwrap it either.
    const elsewhere = await TpmDeviceKey.open({ stateDir: join(dir, 'elsewhere-agent'), tcti: other.tcti });
    await elsewhere.enrollmentEvidence();
    await expect(elsewhere.activateCredential(Buffer.from(challenge.value.credentialBlob, 'base64'))).rejects.toThrow(/tpm2_activatecredential failed/);
  });

  it('refuses an EK from a manufacturer root IT did not configure', async () => {
    const elsewhere = await TpmDeviceKey.open({ stateDir: join(dir, 'elsewhere-agent'), tcti: other.tcti, ekIntermediates: [der(other.intermediatePem)] });
    const r = gateway.begin(await elsewhere.enrollmentEvidence());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^the EK certificate does not chain to a configured TPM manufacturer root/);
  });

  it('refuses a certify of an exportable key, and a certify replayed under another attestation key', async () => {
    const evidence = await key.enrollmentEvidence();
    // An exportable key (no fixedTPM / fixedParent) in the same TPM, certified by the same attestation key.
    const s = join(dir, 'laptop-agent');
    await tpm.tool('tpm2_create', ['-C', join(s, 'primary.ctx'), '-G', 'ecc256:ecdsa-sha256', '-u', join(s, 'loose.pub'), '-r', join(s, 'loose.priv'), '-a', 'sensitivedataorigin|userwithauth|sign']);
    await tpm.tool('tpm2_load', ['-C', join(s, 'primary.ctx'), '-u', join(s, 'loose.pub'), '-r', join(s, 'loose.priv'), '-c', join(s, 'loose.ctx')]);
    await tpm.tool('tpm2_certify', ['-c', join(s, 'loose.ctx'), '-C', join(s, 'ak.ctx'), '-g', 'sha256', '-o', join(s, 'loose.attest'), '-s', join(s, 'loose.sig'), '-f', 'plain']);
    const loose = {
      ...evidence, deviceKey: readFileSync(join(s, 'loose.pub')).toString('base64'),
      certify: { attest: readFileSync(join(s, 'loose.attest')).toString('base64'), signature: readFileSync(join(s, 'loose.sig')).toString('base64') },
    };
    expect(gateway.begin(loose)).toEqual({ ok: false, reason: 'device key can leave the TPM or cannot sign: missing fixedTPM, fixedParent' });
    // The certify from this round, presented with the next round's attestation key (a replay).
    const next = await key.enrollmentEvidence();
    expect(gateway.begin({ ...next, certify: evidence.certify })).toEqual({ ok: false, reason: 'certify: not signed by the attestation key sent with it' });
    // The certify names the device key and no other.
    expect(gateway.begin({ ...loose, certify: next.certify })).toMatchObject({ ok: false });
  });

  it('answers a challenge once, and not after it expired', async () => {
    let now = new Date();
    const g = new TpmEnrollment({ roots: [new X509Certificate(tpm.rootPem)], challengeTtlMs: 60_000, now: () => now });
    const challenge = g.begin(await key.enrollmentEvidence());
    if (!challenge.ok) throw new Error(challenge.reason);
    const secret = (await key.activateCredential(Buffer.from(challenge.value.credentialBlob, 'base64'))).toString('base64');
    const nonceSignature = (await key.signDer(Buffer.concat([Buffer.from(NONCE_CONTEXT), Buffer.from(challenge.value.nonce, 'base64')]))).toString('base64');
    const answer = { challengeId: challenge.value.challengeId, secret, nonceSignature };
    now = new Date(now.getTime() + 61_000);
    expect(g.finish(answer)).toEqual({ ok: false, reason: 'the challenge expired; start again' });
    expect(g.finish(answer)).toEqual({ ok: false, reason: 'unknown or already answered challenge' });
  });
});
