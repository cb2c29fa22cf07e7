/**
 * Admin commands on client certificates: list what enrollment issued, revoke one serial (with every certificate
 * renewed from it) or every certificate of a user. One path whether the gateway runs or not: the registry records
 * the revocations, a CRL is published (the gateway's CRL publisher, or crl.pem on the files), each revocation is
 * audited, and a running gateway also ends the live sessions on those certificates.
 */
import { normSerial } from '../enroll/registry.ts';
import { AdminFailure, type AdminResult } from './contract.ts';
import type { AdminContext, Handlers } from './context.ts';

/** After the registry recorded `revoked` (new) out of `covered`: CRL rewritten, audited, live sessions ended. */
async function finish(ctx: AdminContext, covered: readonly string[], revoked: readonly string[], reason: string, by: string): Promise<AdminResult<'certs.revoke'>> {
  await ctx.publishCrl();
  for (const serial of revoked) await ctx.audit('cert.revoked', { serial, reason, by });
  const ended: string[] = [];
  if (ctx.gateway) {
    // The user is told IT revoked the device, with IT's reason (not the serial): enroll again.
    const end = { by: 'revocation', detail: reason, next: 'enroll' } as const;
    for (const serial of covered) ended.push(...await ctx.gateway.kill({ serial }, `certificate ${serial} revoked (${reason})`, 'revocation', end));
  }
  return { serials: [...covered], newlyRevoked: [...revoked], ended, where: ctx.where };
}

/**
 * Revokes each serial and every certificate renewed from it (a thief's renewed certificate dies with the stolen
 * one). Also what Gateway.revoke does, so a revocation has one path.
 */
export async function revokeSerials(ctx: AdminContext, serials: readonly string[], reason: string, by: string): Promise<AdminResult<'certs.revoke'>> {
  const covered: string[] = [];
  for (const serial of serials) {
    const s = normSerial(serial);
    if (!/^[0-9a-f]{1,40}$/.test(s)) throw new AdminFailure('invalid-arguments', `not a certificate serial number: ${serial}`);
    for (const c of ctx.registry.withSuccessors(s)) if (!covered.includes(c)) covered.push(c);
  }
  return finish(ctx, covered, ctx.registry.revokeSerials(covered, reason, by), reason, by);
}

export const certHandlers: Handlers<'certs.list' | 'certs.revoke'> = {
  'certs.list': (ctx) => {
    ctx.registry.reload();
    return ctx.registry.listIssued().map((c) => ({ ...c, revoked: ctx.registry.isRevoked(c.serial) }));
  },

  'certs.revoke': async (ctx, a) => {
    const by = ctx.where === 'gateway' ? a.by : `${a.by} (admin-cli, gateway not running)`;
    if ('serial' in a) return revokeSerials(ctx, [a.serial], a.reason, by);
    // Every certificate enrollment ever issued to the user (also one no longer in the directory).
    const { revoked, all } = ctx.registry.revokeUser(a.user, a.reason, by);
    if (all.length === 0 && !(await ctx.users()).get(a.user)) throw new AdminFailure('not-found', `no user ${a.user} in the directory and no certificate issued to them`);
    return finish(ctx, all, revoked, a.reason, by);
  },
};
