/**
 * END TO END, WebAuthn: a step-up answered with a security key through Chromium's virtual authenticator
 * (CDP WebAuthn domain), against the real gateway's WebAuthn verification, via the browser preview and
 * the real client core. The user's credential (a P-256 key) is registered in the gateway's directory and
 * loaded into the virtual authenticator; the renderer calls navigator.credentials.get through
 * @simplewebauthn/browser with the gateway's options, and the gateway verifies the assertion.
 *
 * WebAuthn refuses IP-address origins; the preview answers as http://localhost:<port> (its printed URL), which
 * is the relying party's origin the gateway checks.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { PostureAgent } from '../../agent/collect.ts';
import { startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { ClientCore } from '../../main/core.ts';
import { DeviceKeychain } from '../../main/keychain/device-identity.ts';
import { KeytarStore } from '../../main/keychain/secret-store.ts';
import { bundleBridge } from '../../main/preview/bundle.ts';
import { startPreview, type Preview } from '../../main/preview/server.ts';
import { haveChromium, launchChromium, shootBoth, SKIP_REASON, watchPage } from './browser.ts';
import { buildRenderer } from './build-renderer.ts';

const hasKeyring = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
if (!haveChromium) console.warn(`skipping the WebAuthn end-to-end test: ${SKIP_REASON}`);
if (!hasKeyring) console.warn('skipping the WebAuthn end-to-end test: no D-Bus session for the keychain (run it through npm test)');

describe.runIf(haveChromium && hasKeyring)('WebAuthn step-up end to end: virtual authenticator → renderer → client core → gateway', () => {
  let t: TestGateway;
  let core: ClientCore;
  let preview: Preview;
  let browser: Browser;
  let dist: string;
  let work: string;
  const profile = `e2e-wa-${randomUUID()}`;
  const credentialId = randomBytes(16);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    // The relying party's origin is the preview's own http://localhost:<port>, so the preview starts first
    // (its client core reads the policy only at start) and the gateway is told that origin.
    work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-wa-'));
    core = new ClientCore({
      dataDir: path.join(work, 'client'),
      policyPath: path.join(work, 'policy.json'),
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: profile,
    });
    const [built, bridgeJs] = await Promise.all([buildRenderer(), bundleBridge()]);
    dist = built;
    preview = await startPreview({ services: core.services, events: core.events, distDir: dist, bridgeJs, log: { warn: () => {}, error: () => {} } });
    expect(preview.origin).toMatch(/^http:\/\/localhost:\d+$/);
    t = await startTestGateway(
      { posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 }, stepUp: { rpId: 'localhost', origin: preview.origin } },
      { users: ['bob'] },
    );
    // Register the security key for bob, as an admin would after a registration ceremony.
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
    const bob = t.gw.users.get('bob')!;
    t.gw.users.upsert({ ...bob, webauthnCredentials: [{ id: credentialId.toString('base64url'), publicKey: Buffer.from(cose).toString('base64url'), counter: 0 }] });

    writeFileSync(path.join(work, 'ca.pem'), t.pki.caCertPem);
    writeFileSync(path.join(work, 'policy.json'), JSON.stringify({
      gateway: { host: '127.0.0.1', port: t.gw.fixPort, compId: t.gw.cfg.fix.compId },
      caBundle: path.join(work, 'ca.pem'),
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
    }));
    await core.start();
    const { token } = t.gw.tokens.issue({ user: 'bob', compId: 'BOB', ttlMs: 600_000 });
    await core.services.enroll({ token });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await preview?.close();
    await core?.services.signOut().catch(() => {});
    await core?.stop();
    await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
    await t?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('signs in and answers the step-up with the security key', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const { problems } = watchPage(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: credentialId.toString('base64'),
        isResidentCredential: false,
        rpId: 'localhost',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        signCount: 0,
      },
    });

    // Straight to the URL the preview prints: http://localhost:<port>, a name WebAuthn accepts.
    await page.goto(preview.url);
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill(t.users.bob!.password);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Use security key' }).waitFor({ timeout: 60_000 });
    await shootBoth(page, 'e2e-10-step-up-security-key');
    await dialog.getByRole('button', { name: 'Use security key' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByRole('heading', { name: 'New RFQ' }).waitFor({ timeout: 60_000 });
    await page.locator('.conn-pill.ok').waitFor({ timeout: 60_000 });
    // The gateway counted the assertion: the stored signature counter moved.
    expect(t.gw.users.get('bob')!.webauthnCredentials[0]!.counter).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 240_000);
});
