/**
 * IT's view of users' security keys (WebAuthn credentials), shared by the running gateway's admin channel
 * (`users.keys.list` / `users.keys.remove` on its live directory) and the admin CLI editing the file when no
 * gateway runs, so both give the same answers and the same errors.
 *
 * API
 *   class KeyAdminError (message says what is wrong: unknown user, unknown key id, bad arguments)
 *   listKeys(dir, username): KeyView[]
 *   parseRemoveArgs(args): { username; id } | { username; all: true }   — validates what came over the channel
 *   removeKeys(dir, target): { username; removed: string[]; left: number }
 *     — replaces the user through dir.upsert (the step-up reads the directory at answer time, so a removed key
 *       stops verifying at once); the caller saves and audits
 *   keyHandlers: the admin commands users.keys.list / users.keys.remove on an AdminContext
 */
import type { UserDirectory, WebAuthnCredential } from '../identity/directory.ts';
import type { Handlers } from './context.ts';

export class KeyAdminError extends Error {
  override name = 'KeyAdminError';
}

export interface KeyView {
  id: string;
  createdAt: string | null;
  counter: number;
  transports: string[];
  lastUsedAt: string | null;
}

export type RemoveTarget = { username: string; id: string } | { username: string; all: true };

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const CRED_ID = /^[A-Za-z0-9_-]{1,1400}$/;

function view(c: WebAuthnCredential): KeyView {
  return { id: c.id, createdAt: c.createdAt ?? null, counter: c.counter, transports: c.transports ?? [], lastUsedAt: c.lastUsedAt ?? null };
}

function mustUser(dir: UserDirectory, username: unknown) {
  if (typeof username !== 'string' || !USERNAME.test(username)) throw new KeyAdminError('a user name (1-64 characters of A-Z a-z 0-9 . _ @ -) is required');
  const u = dir.get(username);
  if (!u) throw new KeyAdminError(`no user ${username} in the directory`);
  return u;
}

export function listKeys(dir: UserDirectory, username: string): KeyView[] {
  return mustUser(dir, username).webauthnCredentials.map(view);
}

export function parseRemoveArgs(args: Record<string, unknown>): RemoveTarget {
  const { user, id, all } = args;
  if (typeof user !== 'string') throw new KeyAdminError('a user name is required');
  if (all === true) {
    if (id !== undefined) throw new KeyAdminError('give a key id or all, not both');
    return { username: user, all: true };
  }
  if (all !== undefined && all !== false) throw new KeyAdminError('all must be true or false');
  if (typeof id !== 'string' || !CRED_ID.test(id)) throw new KeyAdminError('a key id (base64url, as `users keys list` shows it) or all is required');
  return { username: user, id };
}

export function removeKeys(dir: UserDirectory, target: RemoveTarget): { username: string; removed: string[]; left: number } {
  const u = mustUser(dir, target.username);
  const keep = 'all' in target ? [] : u.webauthnCredentials.filter((c) => c.id !== target.id);
  if (!('all' in target) && keep.length === u.webauthnCredentials.length) {
    throw new KeyAdminError(`user ${u.username} has no security key ${target.id}${u.webauthnCredentials.length ? '' : ' (no keys registered)'}`);
  }
  const removed = u.webauthnCredentials.filter((c) => !keep.includes(c)).map((c) => c.id);
  dir.upsert({ ...u, webauthnCredentials: keep });
  return { username: u.username, removed, left: keep.length };
}

export const keyHandlers: Handlers<'users.keys.list' | 'users.keys.remove'> = {
  'users.keys.list': async (ctx, a) => listKeys(await ctx.users(), a.user),
  'users.keys.remove': async (ctx, a) => {
    // In the gateway this is its live directory, then saved: editing the file under a running gateway could lose
    // a key it registered or a counter it advanced meanwhile. The next step-up reads the directory, so it is at once.
    const dir = await ctx.users();
    const r = removeKeys(dir, parseRemoveArgs(a));
    await ctx.audit('admin.webauthn-keys-removed', { username: r.username, removed: r.removed, left: r.left, by: ctx.actor });
    try { await dir.save(); } catch (e) {
      throw new KeyAdminError(ctx.where === 'gateway'
        ? `key(s) removed in the running gateway but ${ctx.usersFile} could not be saved (${(e as Error).message}); they come back on restart unless removed again`
        : `${ctx.usersFile} could not be saved (${(e as Error).message}); nothing was removed`);
    }
    return { ...r, where: ctx.where };
  },
};
