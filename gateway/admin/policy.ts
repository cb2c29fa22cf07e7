/** The access policy held by the running gateway: re-read it without dropping sessions (also SIGHUP). */
import { AdminFailure } from './contract.ts';
import type { Handlers } from './context.ts';

export const policyHandlers: Handlers<'policy.reload'> = {
  'policy.reload': async (ctx) => {
    const r = await ctx.gateway!.reloadPolicy(ctx.actor);
    if (!r.ok) throw new AdminFailure('refused', `policy reload failed, the previous policy stays in force: ${r.error}`);
    return r;
  },
};
