/**
 * What an admin handler works on. The same handlers run inside the gateway (its live objects: the directory its
 * sessions read, its registry, token store, audit chain and session manager) and, with no gateway running, inside
 * the admin CLI against the files (offline.ts) — so a command has one code path and gives the same answers and
 * errors either way. Only what needs a live process (sessions, the policy it holds, its status) is under `gateway`,
 * which is null offline; the dispatcher answers `not-running` for those commands before a handler runs.
 */
import type { SessionEndSignal } from '../../fix/protocol/index.ts';
import type { GatewayCa } from '../enroll/ca.ts';
import type { CertRegistry } from '../enroll/registry.ts';
import type { TokenStore } from '../enroll/tokens.ts';
import type { UserDirectory } from '../identity/directory.ts';
import type { AdminCommand, AdminResult, ValidArgs } from './contract.ts';

export interface LiveGateway {
  status(): AdminResult<'status'>;
  sessions(): { id: string; user: string }[];
  /** `end`: who acted, told to the client (default: IT, with `reason` quoted). */
  kill(sel: { id?: string; user?: string; serial?: string }, reason: string, scope?: 'policy' | 'revocation', end?: SessionEndSignal): Promise<string[]>;
  reloadPolicy(by: string): Promise<{ ok: true; policies: number } | { ok: false; error: string }>;
  reloadUsers(by: string): Promise<number>;
  /** Drops a remembered verified password (a changed password must be proven the slow way at once). */
  forgetPassword(username: string): void;
}

export interface AdminContext {
  /** 'gateway': the running gateway's own objects; 'files': the admin CLI on the files, no gateway running. */
  readonly where: 'gateway' | 'files';
  /** Who the audit lines name as having acted. */
  readonly actor: string;
  /** The directory to read and change; saving it is the handler's job (UserDirectory.save). */
  users(): Promise<UserDirectory>;
  /** Where the directory lives, for messages. */
  readonly usersFile: string;
  readonly registry: CertRegistry;
  readonly tokens: TokenStore;
  ca(): Promise<GatewayCa>;
  /** Signs and publishes a CRL from the registry: the gateway's CRL publisher, or crl.pem on the files. */
  publishCrl(): Promise<void>;
  /** Appends to the audit chain; resolves once written. The one process that appends is the one that acts. */
  audit(type: string, data: Record<string, unknown>): Promise<void>;
  readonly gateway: LiveGateway | null;
}

export type Handler<N extends AdminCommand> = (ctx: AdminContext, args: ValidArgs<N>) => Promise<AdminResult<N>> | AdminResult<N>;
export type Handlers<K extends AdminCommand = AdminCommand> = { [N in K]: Handler<N> };
