/**
 * END TO END: the built renderer in Debian's Chromium, served by the browser preview (main/preview) over
 * the real client core (main/core.ts) with the real keychain (Secret Service), the real posture agent, and a
 * real gateway (fresh dev PKI, mutual TLS, FIX, dealer desk) behind a TCP proxy that can cut the network.
 * A trader goes from a fresh data folder to a done trade through the screens only; a denied logon shows its
 * reason; a cut connection shows "reconnecting" and recovers.
 *
 * Needs a D-Bus session with an unlocked keyring (npm test provides it:
 * dbus-run-session -- bash scripts/with-keyring.sh …) and /usr/bin/chromium; skipped with a message otherwise.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { PostureAgent } from '../../agent/collect.ts';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { ClientCore } from '../../main/core.ts';
import { DeviceKeychain } from '../../main/keychain/device-identity.ts';
import { KeytarStore } from '../../main/keychain/secret-store.ts';
import { bundleBridge } from '../../main/preview/bundle.ts';
import { startPreview, type Preview } from '../../main/preview/server.ts';
import { Backoff } from '../../main/session/backoff.ts';
import { businessDayAfter } from '../../main/testing/dates.ts';
import { startProxy } from '../../main/testing/proxy.ts';
import { haveChromium, launchChromium, SCREENSHOT_DIR, shootBoth, SKIP_REASON, watchPage } from './browser.ts';
import { buildRenderer } from './build-renderer.ts';

const hasKeyring = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
if (!haveChromium) console.warn(`skipping the preview end-to-end test: ${SKIP_REASON}`);
if (!hasKeyring) console.warn('skipping the preview end-to-end test: no D-Bus session for the keychain (run it through npm test, or dbus-run-session -- bash scripts/with-keyring.sh …)');

describe.runIf(haveChromium && hasKeyring)('trader UI end to end: browser preview + client core + real gateway', () => {
  let t: TestGateway;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let core: ClientCore;
  let preview: Preview;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let dist: string;
  let work: string;
  const profile = `e2e-${randomUUID()}`;
  const ritaProfile = `e2e-rita-${randomUUID()}`;
  let ritaCore: ClientCore | undefined;
  let ritaPreview: Preview | undefined;

  beforeAll(async () => {
    [dist, t] = await Promise.all([
      buildRenderer(),
      // The gateway's posture policy is relaxed only where this CI machine cannot comply (no disk
      // encryption, pending updates); the facts come from the real agent.
      startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } }, { users: ['alice', 'rita'] }),
    ]);
    proxy = await startProxy(t.gw.fixPort);
    work = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));
    const caFile = path.join(work, 'ca.pem');
    writeFileSync(caFile, t.pki.caCertPem);
    const policy = path.join(work, 'policy.json');
    writeFileSync(policy, JSON.stringify({
      gateway: { host: '127.0.0.1', port: proxy.port, compId: t.gw.cfg.fix.compId },
      caBundle: caFile,
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
      reattestIntervalSec: 60,
    }));
    core = new ClientCore({
      dataDir: path.join(work, 'client'),
      policyPath: policy,
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: profile,
      backoff: new Backoff({ baseMs: 500, maxMs: 2_000 }),
      log: { info: () => {}, warn: (m) => console.warn(`core: ${m}`), error: (m) => console.error(`core: ${m}`) },
    });
    await core.start();
    preview = await startPreview({ services: core.services, events: core.events, distDir: dist, bridgeJs: await bundleBridge(), log: { warn: (m) => console.warn(`preview: ${m}`), error: (m) => console.error(`preview: ${m}`) } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    problems = watchPage(page).problems;
  }, 240_000);

  // A failed step leaves a picture of what the trader would have seen.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `e2e-FAILED-${ctx.task.name.slice(0, 30).replace(/\W+/g, '-')}.png`) }).catch(() => {});
      // …and the gateway's side of it: the last audit events say whether a request arrived and how it was decided.
      for (const f of readdirSync(path.join(t.dir, 'data')).filter((n) => n.startsWith('audit'))) {
        console.error(`gateway ${f} (last 40 lines):\n${readFileSync(path.join(t.dir, 'data', f), 'utf8').split('\n').slice(-40).join('\n')}`);
      }
    }
  });

  afterAll(async () => {
    await browser?.close();
    await ritaPreview?.close();
    await ritaCore?.services.signOut().catch(() => {});
    await ritaCore?.stop();
    await new DeviceKeychain(new KeytarStore(), ritaProfile).clear().catch(() => {});
    await preview?.close();
    await core?.services.signOut().catch(() => {});
    await core?.stop();
    await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
    await proxy?.close();
    await t?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fresh install: enroll, a denied logon with its reason, sign in, TOTP step-up, RFQ, quotes count down, hit, blotter and history', async () => {
    await page.goto(preview.url);
    await page.getByRole('heading', { name: 'Enroll this device' }).waitFor({ timeout: 30_000 });
    await shootBoth(page, 'e2e-01-enroll');
    const { token } = t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 });
    await page.getByLabel('Enrollment token').fill(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Device enrolled' }).waitFor({ timeout: 60_000 });
    await page.getByText(/ALICE/).first().waitFor();
    await shootBoth(page, 'e2e-02-enrolled');
    await page.getByRole('button', { name: 'Continue to sign in' }).click();

    // A wrong password: the gateway denies the logon and the screen says why and what to do.
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('not-her-password');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Access denied' }).waitFor({ timeout: 60_000 });
    await page.getByText(/invalid username or password/i).first().waitFor();
    await page.getByText(/Check your username and password/).waitFor();
    await shootBoth(page, 'e2e-03-denied');

    await page.getByLabel('Password').fill(t.users.alice!.password);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 60_000 });
    await dialog.getByText(/attempts? left/).waitFor();
    await shootBoth(page, 'e2e-04-step-up');
    await page.getByLabel('Code from your authenticator app').fill(freshTotp(t.users.alice!));
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });

    await page.getByRole('heading', { name: 'New RFQ' }).waitFor({ timeout: 60_000 });
    await page.locator('.conn-pill.ok').waitFor({ timeout: 60_000 });
    await page.getByText(/^All \([1-9]\d*\)$/).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+k');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const symbol = await page.getByLabel('Instrument').inputValue();
    expect(symbol.length).toBeGreaterThan(0);
    await page.getByLabel('Buy').check();
    await page.getByLabel('Quantity').fill('5m');
    await page.getByLabel('Expiry').selectOption('60');
    await page.keyboard.press('Control+Enter');

    const card = page.getByRole('article', { name: new RegExp(`RFQ buy 5m ${symbol.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: /^Lift/ }).nth(2).waitFor({ timeout: 30_000 });
    const before = await card.getByRole('timer').textContent();
    await page.waitForFunction(
      ([sel, text]) => document.querySelector(sel!)?.querySelector('[role=timer]')?.textContent !== text,
      [`[data-rfq]`, before] as const,
      { timeout: 10_000 },
    );
    await expect(card.locator('tr.best').count()).resolves.toBe(1);
    await shootBoth(page, 'e2e-05-quotes');

    await card.locator('tr.best').getByRole('button', { name: /^Lift/ }).dblclick();
    await page.getByText('Trade done').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: /Done/ }).click();
    await page.locator('.blotter .vbody [role=row]', { hasText: 'TRADE' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('.blotter .vbody [role=row]', { hasText: 'TRADE' }).count()).resolves.toBe(1);
    await shootBoth(page, 'e2e-06-done-blotter');

    await page.keyboard.press('Alt+h');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/^1 trade$/).waitFor({ timeout: 30_000 });
    await page.locator('.history .vbody [role=row]', { hasText: symbol }).waitFor();
    await shootBoth(page, 'e2e-07-history');

    await page.keyboard.press('F2');
    const panel = page.getByRole('dialog', { name: 'Security' });
    await panel.getByText(/TLSv1\.3/).waitFor({ timeout: 30_000 });
    await panel.getByText(/CN=ALICE/).first().waitFor();
    await expect(panel.locator('.posture .fact').count()).resolves.toBeGreaterThan(3);
    await shootBoth(page, 'e2e-08-security');
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  }, 300_000);

  it('a cut connection shows "reconnecting" and recovers (answering a renewed step-up if the gateway asks)', async () => {
    // Hold the network down (nothing comes back from the gateway) so the screenshot shows the reconnecting
    // state rather than the quick recovery; then let it through and drop the stalled attempts.
    proxy.state.blackhole = true;
    proxy.cut();
    await page.locator('.conn-banner').getByText(/reconnecting/i).waitFor({ timeout: 60_000 });
    await page.locator('.conn-pill', { hasText: /reconnecting/i }).waitFor({ timeout: 60_000 });
    await shootBoth(page, 'e2e-09-reconnecting');
    proxy.state.blackhole = false;
    proxy.cut();
    // Zero trust: the new connection is scored afresh; the gateway may ask for the second factor again
    // (it does unless a recent step-up still counts). Either way the session must come back.
    const dialog = page.getByRole('alertdialog');
    let answered = 0;
    for (const end = Date.now() + 120_000; ; ) {
      if (Date.now() > end) throw new Error('the session did not come back after the cut');
      if (await dialog.isVisible()) {
        await page.getByLabel('Code from your authenticator app').fill(freshTotp(t.users.alice!));
        await page.keyboard.press('Enter');
        await dialog.waitFor({ state: 'detached', timeout: 60_000 });
        answered += 1;
        continue;
      }
      const state = await core.services.getState();
      if (state.connection.state === 'connected' && !state.pendingStepUp) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered).toBeLessThanOrEqual(1);
    await page.locator('.conn-pill.ok').waitFor({ timeout: 60_000 });
    await page.locator('.conn-banner').waitFor({ state: 'detached', timeout: 30_000 });
    expect(problems).toEqual([]);
  }, 240_000);

  it('a risk officer sees every trader\'s open RFQs, read-only', async () => {
    // Alice (still signed in through the first preview) leaves an RFQ open.
    const symbol = (await core.services.listInstruments())[0]!.symbol;
    const open = { clientRfqId: `open-${randomUUID().slice(0, 8)}`, instrument: symbol, side: 'sell' as const, quantity: 7_000_000, settlementDate: businessDayAfter(), dealers: 'all' as const, expirySeconds: 600 };
    await core.services.createRfq(open);

    // Rita's own device: a second client core (its own keychain entry and data folder), enrolled by IT.
    ritaCore = new ClientCore({
      dataDir: path.join(work, 'client-rita'),
      policyPath: path.join(work, 'policy.json'),
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: ritaProfile,
    });
    await ritaCore.start();
    await ritaCore.services.enroll({ token: t.gw.tokens.issue({ user: 'rita', compId: 'RITA', ttlMs: 600_000 }).token });
    ritaPreview = await startPreview({ services: ritaCore.services, events: ritaCore.events, distDir: dist, bridgeJs: await bundleBridge(), log: { warn: () => {}, error: () => {} } });

    const ritaPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const ritaProblems = watchPage(ritaPage).problems;
    await ritaPage.goto(ritaPreview.url);
    await ritaPage.getByLabel('Username').fill('rita');
    await ritaPage.getByLabel('Password').fill(t.users.rita!.password);
    await ritaPage.keyboard.press('Enter');
    const dialog = ritaPage.getByRole('alertdialog');
    await dialog.waitFor({ timeout: 60_000 });
    await ritaPage.getByLabel('Code from your authenticator app').fill(freshTotp(t.users.rita!));
    await ritaPage.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 60_000 });

    await ritaPage.getByRole('heading', { name: /Open RFQs — all traders/ }).waitFor({ timeout: 60_000 });
    await ritaPage.getByText('read-only').waitFor();
    const row = ritaPage.locator('.risk .vbody [role=row]', { hasText: symbol }).filter({ hasText: '7m' });
    await row.first().waitFor({ timeout: 30_000 }).catch(async (e: unknown) => {
      await ritaPage.screenshot({ path: path.join(SCREENSHOT_DIR, 'e2e-FAILED-risk-officer.png') });
      throw e;
    });
    await expect(row.first().textContent()).resolves.toMatch(/SELL/);
    await expect(ritaPage.getByRole('button', { name: /Lift|Hit|Pass|Cancel RFQ|Send RFQ/ }).count()).resolves.toBe(0);
    await shootBoth(ritaPage, 'e2e-11-risk-officer');
    expect(ritaProblems).toEqual([]);
    await ritaPage.close();
  }, 240_000);
});
