/**
 * The admin context inside a running gateway: its live objects, so an admin change is seen by every session at
 * once and the gateway stays the one process appending to the audit chain. `serveAdmin` is the gateway's whole
 * admin wiring: the channel (channel.ts) answering through the dispatcher (dispatch.ts).
 */
import type { AuditLog } from '../audit/log.ts';
import type { GatewayCa } from '../enroll/ca.ts';
import type { CertRegistry } from '../enroll/registry.ts';
import type { TokenStore } from '../enroll/tokens.ts';
import type { VerifiedCredentialCache } from '../identity/credential-cache.ts';
import type { UserDirectory } from '../identity/directory.ts';
import type { AccessPolicy } from '../policy/engine.ts';
import type { SessionManager } from '../session/manager.ts';
import { AdminServer } from './channel.ts';
import type { AdminContext } from './context.ts';
import { runCommand } from './dispatch.ts';

/** What of the running gateway (server.ts's Gateway) admin commands use; named here so admin/ never imports server.ts. */
export interface GatewayParts {
  readonly cfg: { paths: { users: string } };
  readonly fixPort: number;
  readonly enrollPort: number;
  readonly users: UserDirectory;
  readonly registry: CertRegistry;
  readonly tokens: TokenStore;
  readonly ca: GatewayCa;
  readonly crl: { reissue(reason: string): Promise<string> };
  readonly auditLog: AuditLog;
  readonly manager: SessionManager;
  readonly policy: AccessPolicy;
  readonly credentials: VerifiedCredentialCache;
  reloadPolicy(by: string): Promise<{ ok: true; policies: number } | { ok: false; error: string }>;
  reloadUsers(by: string): Promise<number>;
}

export function gatewayContext(gw: GatewayParts): AdminContext {
  return {
    where: 'gateway',
    actor: 'admin',
    usersFile: gw.cfg.paths.users,
    // A getter, not a copy: reloadUsers replaces the directory object.
    users: async () => gw.users,
    get registry() { return gw.registry; },
    get tokens() { return gw.tokens; },
    ca: async () => gw.ca,
    // The publisher signs, caches and reschedules; the acceptor's next handshake checks the new CRL.
    publishCrl: async () => { await gw.crl.reissue('admin revoke'); },
    audit: (type, data) => gw.auditLog.append(type, data),
    gateway: {
      status: () => ({
        fixPort: gw.fixPort, enrollPort: gw.enrollPort, sessions: gw.manager.size, policyMode: gw.policy.mode, pid: process.pid,
        memory: process.memoryUsage(), cpu: process.cpuUsage(),
        credentialCache: { entries: gw.credentials.size, hits: gw.credentials.hits, misses: gw.credentials.misses },
      }),
      sessions: () => gw.manager.list(),
      kill: (sel, reason, scope, end) => gw.manager.kill(sel, reason, scope, end),
      reloadPolicy: (by) => gw.reloadPolicy(by),
      reloadUsers: (by) => gw.reloadUsers(by),
      forgetPassword: (username) => gw.credentials.forget(username),
    },
  };
}

/** Listens on the gateway's admin socket and answers every command through the contract. */
export function serveAdmin(path: string, gw: GatewayParts): Promise<AdminServer> {
  const ctx = gatewayContext(gw);
  return AdminServer.listen(path, (cmd, args) => runCommand(ctx, cmd, args));
}
