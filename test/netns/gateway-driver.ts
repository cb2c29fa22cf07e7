/**
 * The real gateway (gateway/server.ts) inside the gateway's network namespace, driven by the netns test over
 * JSON lines (rpc.ts). Started with `ip netns exec <ns> node gateway-driver.ts`; the first call is `start`.
 *
 * Calls
 *   start {addr, corporate[], geo{cidr: country}, dealers[], quoteTtlMs, dir}
 *       → {fixPort, enrollPort, caPem, compId, password, totpSecret}   fresh dev PKI whose gateway certificate names addr,
 *         one trader (alice), the GeoIP .mmdb built from geo, the shipped access policy plus the firm's
 *         remote-trading rule (see REMOTE_TRADING)
 *   issueToken {user, compId} → {token}
 *   webauthnOptions {user} → registration options;  webauthnRegister {user, response, challenge}
 *   sentQuotes {quoteReqId} → quote ids the desk sent for it;  trades {quoteReqId} → trades
 *   audit {type} → audit lines of that type (data only)
 *   shutdown
 * Events: 'quote' {quoteReqId, quoteId, dealer, sentAt (epoch ms)} as each dealer answers; 'trade' {quoteReqId, quoteId, tradeId}.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevPki } from '../../fix/pki/devpki.ts';
import { parseConfig } from '../../gateway/config.ts';
import type { Trade } from '../../gateway/desk/trade-store.ts';
import { hashPassword, UserDirectory } from '../../gateway/identity/directory.ts';
import { newTotpSecret } from '../../gateway/mfa/totp.ts';
import { WebAuthnService } from '../../gateway/mfa/webauthn.ts';
import { Gateway } from '../../gateway/server.ts';
import { buildMmdb } from '../../gateway/testing/mmdb.ts';
import { serve } from './rpc.ts';

/**
 * The shipped default lets traders create and hit RFQs from the corporate LAN only. A firm whose traders work
 * from home adds a rule like this one (same shape as the default's remote row for trade history: compliant
 * device, expected country); the netns test trades from a dynamic address, so its gateway carries it.
 */
const REMOTE_TRADING = `
@id("firm-trader-trade-remote")
@controls("mfa,geolocation-check,session-logging")
permit (principal in Parley::Role::"Trader", action in [Parley::Action::"CreateRfq", Parley::Action::"HitQuote", Parley::Action::"CancelRfq"], resource)
when {
  context.network == "remote" &&
  (context.deviceCompliance == "compliant" || context.deviceCompliance == "highly-compliant") &&
  context has country && principal.expectedCountries.contains(context.country)
};
`;

const RP = { rpID: 'localhost', origin: 'https://localhost' };
let gw: Gateway | undefined;
let dir: string | undefined;
const webauthn = new WebAuthnService(RP);

const emit = serve({
  start: async (a) => {
    const addr = String(a.addr);
    dir = String(a.dir);
    const pki = await createDevPki(join(dir, 'pki'), { clients: ['ALICE'], gatewayNames: [addr] });
    mkdirSync(join(dir, 'data'), { recursive: true });
    const password = 'alice-pw-1';
    // Alice's authenticator app holds the same secret: the test computes her codes from it.
    const totpSecret = newTotpSecret();
    const users = UserDirectory.empty(join(dir, 'data', 'users.json'));
    users.upsert({
      username: 'alice', role: 'Trader', privileged: false, passwordHash: await hashPassword(password, { N: 1024 }),
      totpSecret, webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: ['ALICE'],
    });
    await users.save();
    const mmdb = join(dir, 'geo.mmdb');
    await buildMmdb(mmdb, a.geo as Record<string, string>);
    const policyDir = join(dir, 'policy');
    mkdirSync(policyDir);
    const shipped = join(import.meta.dirname, '..', '..', 'gateway', 'policy', 'default');
    for (const f of readdirSync(shipped)) copyFileSync(join(shipped, f), join(policyDir, f));
    writeFileSync(join(policyDir, 'firm-remote.cedar'), REMOTE_TRADING);
    const cfg = parseConfig({
      dataDir: join(dir, 'data'),
      pki: { dir: pki.dir },
      geoip: { mmdb },
      network: { corporate: a.corporate as string[] },
      policy: { dir: policyDir },
      stepUp: { rpId: RP.rpID, origin: RP.origin },
      // This machine cannot comply with the shipped posture (no disk encryption, pending updates); the facts
      // themselves come from the real agent, as in main/core.test.ts.
      posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 },
      desk: { dealers: a.dealers as { name: string; delayMs: number; spreadBps: number }[], quoteTtlMs: Number(a.quoteTtlMs) },
      // The gateway's loopback is its own namespace's, which the client cannot reach: it listens on its veth
      // address (198.18.0.0/15, never routed anywhere), as a deployment listens on its interface.
      listen: { host: addr },
    }, join(dir, 'gateway.json'));
    gw = await Gateway.start(cfg, { log: (l) => process.stderr.write(`${l}\n`) });
    // The desk announces each quote as its dealer answers (the RFQ view grows): the first sight is when it was
    // sent. (Its ValidUntilTime says nothing about that: the desk caps it at the RFQ's own expiry.)
    gw.desk.on('rfq', (v: { quoteReqId: string; quotes: { quoteId: string; dealer: string }[] }) => {
      for (const q of v.quotes) seen(v.quoteReqId, q.quoteId, q.dealer, Date.now());
    });
    gw.desk.on('trade', (t: Trade) => emit('trade', { quoteReqId: t.quoteReqId, quoteId: t.quoteId, tradeId: t.tradeId }));
    return { fixPort: gw.fixPort, enrollPort: gw.enrollPort, caPem: pki.caCertPem, compId: cfg.fix.compId, password, totpSecret };
  },
  issueToken: (a) => ({ token: need().tokens.issue({ user: String(a.user), compId: String(a.compId), ttlMs: 600_000 }).token }),
  webauthnOptions: async (a) => {
    const opts = await webauthn.registrationOptions(need().users.get(String(a.user))!);
    return opts;
  },
  webauthnRegister: async (a) => {
    const g = need();
    const user = g.users.get(String(a.user))!;
    const r = await webauthn.verifyRegistration(user, a.response, String(a.challenge));
    if (!r.ok) throw new Error(r.reason);
    g.users.upsert({ ...user, webauthnCredentials: [...user.webauthnCredentials, r.credential] });
    await g.users.save();
    return { credentialId: r.credential.id };
  },
  sentQuotes: (a) => [...(sent.get(String(a.quoteReqId)) ?? [])],
  trades: (a) => need().desk.trades.query({ limit: 1000 }).filter((t) => t.quoteReqId === String(a.quoteReqId)),
  audit: (a) => readFileSync(need().cfg.paths.audit, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: unknown })
    .filter((e) => e.type === String(a.type)).map((e) => e.data),
  shutdown: async () => {
    await gw?.close().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
    setImmediate(() => process.exit(0));
  },
});

const sent = new Map<string, Set<string>>();
function seen(quoteReqId: string, quoteId: string, dealer: string, sentAt: number): void {
  let s = sent.get(quoteReqId);
  if (!s) sent.set(quoteReqId, (s = new Set()));
  if (s.has(quoteId)) return;
  s.add(quoteId);
  emit('quote', { quoteReqId, quoteId, dealer, sentAt });
}

function need(): Gateway {
  if (!gw) throw new Error('start the gateway first');
  return gw;
}
