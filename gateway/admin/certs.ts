/**
 * Admin commands on client certificates: list what enrollment issued, revoke one serial or every certificate of
 * a user. One path whether the gateway runs or not: the registry rewrites revoked.json and the CRL (the running
 * gateway's acceptor re-reads the CRL when the file changes), the revocation is audited, and a running gateway
 * also ends the live sessions using those certificates at once.
 */
import { normSerial } from '../enroll/registry.ts';
import { AdminFailure, type AdminResult } from './contract.ts';
import type { AdminContext, Handlers } from './context.ts';

/** Revokes each serial (already revoked ones harmlessly again), audits each, ends their live sessions. */
export async function revokeSerials(ctx: AdminContext, serials: readonly string[], reason: string, by: string): Promise<AdminResult<'certs.revoke'>> {
  const ca = await ctx.ca();
  const ended: string[] = [];
  for (const s of serials) {
    await ctx.registry.revoke(ca, s, reason, by);
    await ctx.audit('cert.revoked', { serial: s, reason, by });
    if (ctx.gateway) ended.push(...await ctx.gateway.kill({ serial: s }, `certificate ${s} revoked (${reason})`, 'revocation'));
  }
  return { serials: [...serials], ended, where: ctx.where };
}

export const certHandlers: Handlers<'certs.list' | 'certs.revoke'> = {
  'certs.list': (ctx) => {
    ctx.registry.reload();
    return ctx.registry.listIssued().map((c) => ({ ...c, revoked: ctx.registry.isRevoked(c.serial) }));
  },

  'certs.revoke': async (ctx, a) => {
    const by = ctx.where === 'gateway' ? a.by : `${a.by} (admin-cli, gateway not running)`;
    if ('serial' in a) {
      const s = normSerial(a.serial);
      if (!/^[0-9a-f]{1,40}$/.test(s)) throw new AdminFailure('invalid-arguments', `not a certificate serial number: ${a.serial}`);
      return revokeSerials(ctx, [s], a.reason, by);
    }
    if (!(await ctx.users()).get(a.user)) throw new AdminFailure('not-found', `no user ${a.user} in the directory`);
    ctx.registry.reload();
    const serials = ctx.registry.listIssued().filter((c) => c.user === a.user && !ctx.registry.isRevoked(c.serial)).map((c) => c.serial);
    return revokeSerials(ctx, serials, a.reason, by);
  },
};
