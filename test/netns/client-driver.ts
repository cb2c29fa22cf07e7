/**
 * The real client core (main/core.ts) with the real posture agent and the real keychain, inside the client's
 * network namespace, driven by the netns test over JSON lines (rpc.ts). Started as
 * `ip netns exec <ns> dbus-run-session -- bash scripts/with-keyring.sh node client-driver.ts`: D-Bus session
 * buses listen on abstract unix sockets, which belong to a network namespace, so the keychain (gnome-keyring
 * over D-Bus) runs inside the namespace with the client.
 *
 * Calls
 *   start {dataDir, policyPath, profile, heartBtIntSec} → the first connection state
 *   service {name, request} → core.services[name](request)   (the IPC contract's calls, as the shell makes them)
 *   connection → the core's current connection event
 *   addresses → this namespace's non-internal IPv4 addresses (what the network watcher sees)
 *   shutdown   signs out, stops the core, clears the keychain profile
 * Events: every core event {event, payload}, as the renderer would receive them; 'log' for the core's info lines.
 */
import { networkInterfaces } from 'node:os';
import { PostureAgent } from '../../agent/collect.ts';
import { ClientCore } from '../../main/core.ts';
import { DeviceKeychain } from '../../main/keychain/device-identity.ts';
import { KeytarStore } from '../../main/keychain/secret-store.ts';
import { serve } from './rpc.ts';

let core: ClientCore | undefined;
let profile = 'default';

const emit = serve({
  start: async (a) => {
    profile = String(a.profile);
    core = new ClientCore({
      dataDir: String(a.dataDir),
      policyPath: String(a.policyPath),
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: profile,
      heartBtIntSec: Number(a.heartBtIntSec),
      log: {
        // The FIX session's own account (ResendRequest, SequenceReset, disconnect) is part of what the test checks.
        info: (m) => emit('log', m),
        warn: (m) => process.stderr.write(`warn: ${m}\n`),
        error: (m) => process.stderr.write(`error: ${m}\n`),
      },
    });
    core.events.subscribe((e) => emit(e.event, e.payload));
    return core.start();
  },
  service: async (a) => {
    const fn = (need().services as unknown as Record<string, ((r: unknown) => Promise<unknown>) | undefined>)[String(a.name)];
    if (!fn) throw new Error(`no service ${String(a.name)}`);
    return fn(a.request);
  },
  connection: () => need().connection,
  addresses: () => Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4').map((i) => i!.address),
  shutdown: async () => {
    if (core) {
      await core.services.signOut().catch(() => {});
      await core.stop().catch(() => {});
    }
    await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
    setImmediate(() => process.exit(0));
  },
});

function need(): ClientCore {
  if (!core) throw new Error('start the client core first');
  return core;
}
