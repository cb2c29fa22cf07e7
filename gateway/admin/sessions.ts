/** Admin commands only a running gateway can answer: its status and its live sessions. */
import { AdminFailure } from './contract.ts';
import type { Handlers } from './context.ts';

export const sessionHandlers: Handlers<'status' | 'sessions.list' | 'sessions.kill'> = {
  // The dispatcher answers not-running before these run without a gateway, hence the `!`.
  status: (ctx) => ctx.gateway!.status(),
  'sessions.list': (ctx) => ctx.gateway!.sessions(),
  'sessions.kill': async (ctx, a) => {
    const ended = await ctx.gateway!.kill('id' in a ? { id: a.id } : { user: a.user }, a.reason);
    if (ended.length === 0) throw new AdminFailure('not-found', 'no matching live session');
    return { ended };
  },
};
