/**
 * Admin commands on the user directory: list, add, set-password, enroll-totp, disable/enable, reload.
 * With a gateway running they change its live directory (its sessions read it at once) and save it; without one
 * the CLI runs the same handlers on the file. Passwords arrive as text over the 0600 admin socket (never on a
 * command line), are checked against the password rule here and only their scrypt hash is kept.
 */
import { hashPassword, type User, type UserDirectory } from '../identity/directory.ts';
import { newTotpSecret, totpUri } from '../mfa/totp.ts';
import { AdminFailure } from './contract.ts';
import type { Handlers } from './context.ts';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

function mustUser(dir: UserDirectory, name: string): User {
  const u = dir.get(name);
  if (!u) throw new AdminFailure('not-found', `no user ${name} in the directory`);
  return u;
}

async function hashChecked(pw: string): Promise<string> {
  if (pw.length < MIN_PASSWORD || pw.length > MAX_PASSWORD) throw new AdminFailure('refused', `the password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  return hashPassword(pw);
}

function put(dir: UserDirectory, user: User): void {
  // The directory's own validation (CompID taken by another user, bad country...) is a refusal, not a crash.
  try { dir.upsert(user); } catch (e) { throw new AdminFailure('refused', (e as Error).message); }
}

export const userHandlers: Handlers<'users.list' | 'users.add' | 'users.set-password' | 'users.enroll-totp' | 'users.set-disabled' | 'users.reload'> = {
  'users.list': async (ctx) => (await ctx.users()).list().map((u) => ({
    username: u.username, role: u.role, privileged: u.privileged, compIds: u.compIds, totp: Boolean(u.totpSecret),
    webauthnKeys: u.webauthnCredentials.length, expectedCountries: u.expectedCountries, disabled: u.disabled ?? false,
  })),

  'users.add': async (ctx, a) => {
    const dir = await ctx.users();
    if (dir.get(a.user)) throw new AdminFailure('refused', `user ${a.user} already exists`);
    const compIds = a.compIds ?? [a.user.toUpperCase()];
    put(dir, {
      username: a.user, role: a.role, privileged: a.privileged, passwordHash: await hashChecked(a.password), webauthnCredentials: [],
      expectedCountries: a.countries.map((c) => c.toUpperCase()), certSubjects: a.certSubjects, compIds,
    });
    await dir.save();
    await ctx.audit('admin.user-added', { username: a.user, role: a.role, compIds, privileged: a.privileged, by: ctx.actor });
    return { username: a.user, role: a.role, compIds };
  },

  'users.set-password': async (ctx, a) => {
    const dir = await ctx.users();
    const u = mustUser(dir, a.user);
    put(dir, { ...u, passwordHash: await hashChecked(a.password) });
    await dir.save();
    ctx.gateway?.forgetPassword(u.username);
    await ctx.audit('admin.password-set', { username: u.username, by: ctx.actor });
    return { username: u.username };
  },

  'users.enroll-totp': async (ctx, a) => {
    const dir = await ctx.users();
    const u = mustUser(dir, a.user);
    const secret = newTotpSecret();
    put(dir, { ...u, totpSecret: secret });
    await dir.save();
    await ctx.audit('admin.totp-enrolled', { username: u.username, by: ctx.actor });
    return { username: u.username, secret, uri: totpUri(u.username, secret) };
  },

  'users.set-disabled': async (ctx, a) => {
    const dir = await ctx.users();
    const u = mustUser(dir, a.user);
    put(dir, { ...u, disabled: a.disabled });
    await dir.save();
    await ctx.audit(a.disabled ? 'admin.user-disabled' : 'admin.user-enabled', { username: u.username, by: ctx.actor });
    // A disabled user's live sessions end now (and with them any remembered password).
    const sessionsEnded = a.disabled && ctx.gateway ? await ctx.gateway.kill({ user: u.username }, 'user disabled', 'policy', { by: 'it', detail: 'IT disabled this user', next: 'contact-it' }) : [];
    return { username: u.username, disabled: a.disabled, sessionsEnded };
  },

  'users.reload': async (ctx) => ({ users: await ctx.gateway!.reloadUsers(ctx.actor) }),
};
