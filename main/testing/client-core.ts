/**
 * A client core wired to a running test gateway, as the integration tests in main/ use it: a managed policy
 * file pointing at the gateway, the REAL keychain under a throwaway profile and the REAL posture agent.
 * `close()` signs out, stops the core and clears the profile from the keychain; the gateway is the caller's.
 *
 *   startClientCore(gateway, { name }) → { core, work, profile, close }
 *   hasSecretService                     false on Linux without a D-Bus session (the test then skips)
 *   until(f, what, ms?)                  polls f until it returns something truthy (./until.ts)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PostureAgent } from '../../agent/collect.ts';
import { ClientCore } from '../core.ts';
import { DeviceKeychain } from '../keychain/device-identity.ts';
import { KeytarStore } from '../keychain/secret-store.ts';

export { until } from './until.ts';

/** What this helper needs of gateway/session/test-gateway.ts's TestGateway (main/ does not import gateway/). */
export interface RunningGateway {
  pki: { caCertPem: string };
  gw: { fixPort: number; enrollPort: number; cfg: { fix: { compId: string } } };
}

export interface TestClientCore {
  core: ClientCore;
  work: string;
  profile: string;
  close(): Promise<void>;
}

export const hasSecretService = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;

export function startClientCore(t: RunningGateway, o: { name: string }): TestClientCore {
  const work = mkdtempSync(path.join(tmpdir(), `parley-${o.name}-`));
  const profile = `${o.name}-${randomUUID()}`;
  writeFileSync(path.join(work, 'ca.pem'), t.pki.caCertPem);
  writeFileSync(path.join(work, 'policy.json'), JSON.stringify({
    gateway: { host: '127.0.0.1', port: t.gw.fixPort, compId: t.gw.cfg.fix.compId },
    caBundle: path.join(work, 'ca.pem'),
    enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
  }));
  const core = new ClientCore({
    dataDir: path.join(work, 'client'),
    policyPath: path.join(work, 'policy.json'),
    host: 'preview',
    posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
    secretStore: new KeytarStore(),
    keychainProfile: profile,
  });
  return {
    core,
    work,
    profile,
    async close() {
      await core.services.signOut().catch(() => {});
      await core.stop();
      await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
      rmSync(work, { recursive: true, force: true });
    },
  };
}
