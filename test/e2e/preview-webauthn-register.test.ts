/**
 * END TO END, registering a security key: a user with only TOTP signs in through the browser preview (TOTP
 * step-up), opens the security panel and registers a key made by Chromium's virtual authenticator (CDP WebAuthn
 * domain, no credential preloaded) — @simplewebauthn/browser's startRegistration → client core → UK/UL over
 * FIX → the gateway verifies the attestation against the preview's origin and saves the credential. A second
 * attempt with the same key is told it is already registered. Signing in again, the step-up offers the key and
 * the key answers it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { PostureAgent } from '../../agent/collect.ts';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { ClientCore } from '../../main/core.ts';
import { DeviceKeychain } from '../../main/keychain/device-identity.ts';
import { KeytarStore } from '../../main/keychain/secret-store.ts';
import { bundleBridge } from '../../main/preview/bundle.ts';
import { startPreview, type Preview } from '../../main/preview/server.ts';
import { haveChromium, launchChromium, shootBoth, SKIP_REASON, watchPage } from './browser.ts';
import { buildRenderer } from './build-renderer.ts';

const hasKeyring = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
if (!haveChromium) console.warn(`skipping the key-registration end-to-end test: ${SKIP_REASON}`);
if (!hasKeyring) console.warn('skipping the key-registration end-to-end test: no D-Bus session for the keychain (run it through npm test)');

describe.runIf(haveChromium && hasKeyring)('registering a security key end to end: virtual authenticator → renderer → client core → gateway', () => {
  let t: TestGateway;
  let core: ClientCore;
  let preview: Preview;
  let browser: Browser;
  let dist: string;
  let work: string;
  const profile = `e2e-reg-${randomUUID()}`;

  beforeAll(async () => {
    // The relying party's origin is the preview's own http://localhost:<port>: the preview starts first.
    work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-reg-'));
    core = new ClientCore({
      dataDir: path.join(work, 'client'), policyPath: path.join(work, 'policy.json'), host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }), secretStore: new KeytarStore(), keychainProfile: profile,
    });
    const [built, bridgeJs] = await Promise.all([buildRenderer(), bundleBridge()]);
    dist = built;
    preview = await startPreview({ services: core.services, events: core.events, distDir: dist, bridgeJs, log: { warn: () => {}, error: () => {} } });
    t = await startTestGateway(
      { posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 }, stepUp: { rpId: 'localhost', origin: preview.origin } },
      { users: ['dave'] },
    );
    writeFileSync(path.join(work, 'ca.pem'), t.pki.caCertPem);
    writeFileSync(path.join(work, 'policy.json'), JSON.stringify({
      gateway: { host: '127.0.0.1', port: t.gw.fixPort, compId: t.gw.cfg.fix.compId },
      caBundle: path.join(work, 'ca.pem'),
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
    }));
    await core.start();
    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'dave', compId: 'DAVE', ttlMs: 600_000 }).token });
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

  it('registers a key after a TOTP step-up; the next sign-in steps up with that key', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const { problems } = watchPage(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    await page.goto(preview.url);
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Username').fill('dave');
    await page.getByLabel('Password').fill(t.users.dave!.password);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 60_000 });
    // No key yet: TOTP is all the gateway can offer.
    expect(await dialog.getByRole('button', { name: 'Use security key' }).count()).toBe(0);
    await page.getByLabel('Code from your authenticator app').fill(freshTotp(t.users.dave!));
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    await page.locator('.conn-pill.ok').waitFor({ timeout: 60_000 });

    await page.keyboard.press('F2');
    const panel = page.getByRole('dialog', { name: 'Security' });
    await panel.getByRole('button', { name: 'Register a security key' }).click();
    await panel.getByText(/Security key registered\./).waitFor({ timeout: 60_000 });
    await shootBoth(page, 'e2e-11-security-key-registered');
    const saved = JSON.parse(readFileSync(t.gw.cfg.paths.users, 'utf8')) as { users: { username: string; webauthnCredentials: unknown[] }[] };
    expect(saved.users.find((u) => u.username === 'dave')?.webauthnCredentials).toHaveLength(1);

    // The same authenticator again: the gateway's options exclude the key, and the person is told so.
    await panel.getByRole('button', { name: 'Register a security key' }).click();
    await panel.getByText(/already registered for you/).waitFor({ timeout: 60_000 });
    expect(t.gw.users.get('dave')!.webauthnCredentials).toHaveLength(1);
    await page.keyboard.press('Escape');

    // Sign in again: the step-up now offers the key, and the key answers it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Username').fill('dave');
    await page.getByLabel('Password').fill(t.users.dave!.password);
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Use security key' }).waitFor({ timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Use security key' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });
    await page.locator('.conn-pill.ok').waitFor({ timeout: 60_000 });
    expect(t.gw.users.get('dave')!.webauthnCredentials[0]!.counter).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 240_000);
});
