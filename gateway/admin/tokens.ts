/** Admin commands on one-time enrollment tokens: issue (the token is returned once, only its hash kept), list, revoke. */
import { AdminFailure } from './contract.ts';
import type { Handlers } from './context.ts';

export const tokenHandlers: Handlers<'tokens.issue' | 'tokens.list' | 'tokens.revoke'> = {
  'tokens.issue': async (ctx, a) => {
    const u = (await ctx.users()).get(a.user);
    if (!u) throw new AdminFailure('not-found', `no user ${a.user} in the directory`);
    const compId = a.compId ?? u.compIds[0];
    if (!compId || !u.compIds.includes(compId)) throw new AdminFailure('refused', `CompID ${compId ?? '(none)'} is not one of ${u.username}'s (${u.compIds.join(', ')})`);
    const { token, record } = ctx.tokens.issue({ user: u.username, compId, ttlMs: a.ttlMs, createdBy: a.createdBy });
    await ctx.audit('admin.token-issued', { id: record.id, user: u.username, compId, expiresAt: record.expiresAt, by: ctx.actor });
    return { token, id: record.id, user: u.username, compId, expiresAt: record.expiresAt };
  },

  'tokens.list': (ctx) => ctx.tokens.list(),

  'tokens.revoke': async (ctx, a) => {
    if (!ctx.tokens.revoke(a.id)) throw new AdminFailure('not-found', `no unused token ${a.id}`);
    await ctx.audit('admin.token-revoked', { id: a.id, by: ctx.actor });
    return { id: a.id };
  },
};
