/**
 * UI-ONLY browser tests: the built renderer in Debian's Chromium against a test-only fake client core
 * injected as window.parley (renderer/src/testing/fakeParley.ts). They prove the screens, keyboard flow,
 * CSP-friendliness and the WebAuthn prompt in a real browser; they do NOT talk to a gateway — the
 * full-stack run is preview.test.ts against the browser preview.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { haveChromium, launchChromium, shootBoth, SKIP_REASON, watchPage } from './browser.ts';
import { serveStatic } from './static-server.ts';
import { fakeParleyScript } from './fake-injection.ts';
import { buildRenderer } from './build-renderer.ts';
import type { FakeOptions } from '../../renderer/src/testing/fakeParley.ts';

if (!haveChromium) console.warn(`skipping UI-only browser tests: ${SKIP_REASON}`);

describe.skipIf(!haveChromium)('renderer in Chromium (UI-only, fake client core)', () => {
  let browser: Browser;
  let dist: string;
  let server: Awaited<ReturnType<typeof serveStatic>>;

  beforeAll(async () => {
    dist = await buildRenderer();
    server = await serveStatic(dist);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  async function open(options: FakeOptions, host = '127.0.0.1'): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const { problems } = watchPage(page);
    await page.addInitScript({ content: await fakeParleyScript(options) });
    await page.goto(`http://${host}:${server.port}/`);
    return { page, problems };
  }

  it('first run: enroll (with a refused token first), sign in, TOTP step-up, trade, blotter, history', async () => {
    const { page, problems } = await open({ enrolled: false, stepUpOnSignIn: ['totp'], quoteDelayMs: 300 });
    await page.getByRole('heading', { name: 'Enroll this device' }).waitFor();
    await shootBoth(page, '01-enroll');

    await page.getByLabel('Enrollment token').fill('bad-token-0001');
    await page.keyboard.press('Enter');
    await page.getByText('Ask IT for a new enrollment token').waitFor();
    await shootBoth(page, '02-enroll-refused');

    await page.getByLabel('Enrollment token').fill('ENROLL-7f3a9c21');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Device enrolled' }).waitFor();
    await shootBoth(page, '03-enrolled');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse');
    await shootBoth(page, '04-sign-in');
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    await expect(dialog.getByText('unusual location').count()).resolves.toBe(1);
    await shootBoth(page, '05-step-up');
    await page.getByLabel('Code from your authenticator app').fill('111111');
    await page.keyboard.press('Enter');
    await dialog.getByText('2 attempts left').waitFor();
    await page.getByLabel('Code from your authenticator app').fill('123456');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    // Keyboard only: Ctrl+K to the instrument, arrows + Enter to pick, Tab through the ticket.
    await page.getByRole('heading', { name: 'New RFQ' }).waitFor();
    await page.getByText('All (4)').waitFor();
    await page.keyboard.press('Control+k');
    await page.keyboard.type('DBR');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Instrument').inputValue()).resolves.toBe('DE0001102614');
    await page.getByLabel('Buy').check();
    await page.getByLabel('Quantity').fill('25m');
    await page.getByText('= 25,000,000').waitFor();
    await page.getByLabel('Expiry').selectOption('60');
    await page.keyboard.press('Control+Enter');

    const card = page.getByRole('article', { name: /RFQ buy 25m DE0001102614/ });
    await card.waitFor();
    await card.getByRole('button', { name: /^Lift/ }).nth(3).waitFor({ timeout: 10_000 });
    const t1 = await card.getByRole('timer').textContent();
    await page.waitForFunction((before) => document.querySelector('[role=timer]')?.textContent !== before, t1);
    await expect(card.locator('tr.best').count()).resolves.toBe(1);
    await shootBoth(page, '06-workspace-quotes');

    // Double click on the best quote: one trade.
    await card.locator('tr.best').getByRole('button', { name: /^Lift/ }).dblclick();
    await page.getByText('Trade done').waitFor();
    const hits = await page.evaluate(() => (window as unknown as { __fake: { calls: { name: string }[] } }).__fake.calls.filter((c) => c.name === 'hitQuote').length);
    expect(hits).toBe(1);
    await page.getByRole('tab', { name: /Done/ }).click();
    await page.locator('.vbody [role=row]', { hasText: 'TRADE' }).waitFor();
    await shootBoth(page, '07-done-and-blotter');

    await page.keyboard.press('Alt+h');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 trade', { exact: true }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^parley-trades-.*\.csv$/);
    await shootBoth(page, '08-history');

    await page.keyboard.press('F2');
    await page.getByRole('dialog', { name: 'Security' }).getByText('TLS_AES_256_GCM_SHA384', { exact: false }).waitFor();
    await shootBoth(page, '09-security-panel');
    await page.keyboard.press('Escape');

    await page.evaluate(() => (window as unknown as { __fake: { setConnection(s: string, e: object): void } }).__fake.setConnection('reconnecting', { retryInSec: 8 }));
    await page.getByText(/reconnecting in \d s/).first().waitFor();
    await shootBoth(page, '10-reconnecting');
    await page.evaluate(() => (window as unknown as { __fake: { setConnection(s: string): void } }).__fake.setConnection('connected'));
    await page.getByText('Connection lost').waitFor({ state: 'detached' });

    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('denied logon shows its reason and what to do', async () => {
    const { page, problems } = await open({ denyReason: 'Device posture: disk encryption is off.' });
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('pw');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Access denied' }).waitFor();
    await page.getByText('disk encryption is off').waitFor();
    await page.getByText(/Fix the device setting named above/).waitFor();
    await shootBoth(page, '11-denied');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('risk officer sees all open RFQs read-only', async () => {
    const { page, problems } = await open({ signedIn: true, role: 'risk-officer' });
    await page.getByRole('heading', { name: /Open RFQs — all traders/ }).waitFor();
    await page.getByText('5 open', { exact: false }).waitFor();
    await expect(page.getByRole('button', { name: /Lift|Hit|Send RFQ/ }).count()).resolves.toBe(0);
    await shootBoth(page, '12-risk-officer');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('WebAuthn step-up through the CDP virtual authenticator', async () => {
    // WebAuthn needs a domain RP id: serve the same page as http://localhost (a secure context).
    const { page, problems } = await open({ stepUpOnSignIn: ['webauthn'], webauthnRpId: 'localhost' }, 'localhost');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: randomBytes(16).toString('base64'),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        userHandle: Buffer.from('alice').toString('base64'),
        signCount: 0,
      },
    });
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('pw');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Use security key' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'New RFQ' }).waitFor();
    const answer = await page.evaluate(() => (window as unknown as { __fake: { calls: { name: string; request: { method?: string; credential?: { response: { signature: string } } } }[] } }).__fake.calls.find((c) => c.name === 'answerStepUp')?.request);
    expect(answer?.method).toBe('webauthn');
    expect(answer?.credential?.response.signature.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
