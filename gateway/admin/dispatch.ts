/**
 * Runs one admin command through the contract: the name must be a command, the arguments must fit its schema,
 * a command that needs a live gateway is answered `not-running` without one, the handler runs, and its result
 * must fit the result schema. The gateway's channel and the CLI's in-process run both come through here, so
 * validation, auditing and error codes are the same whichever process answers.
 */
import { AdminFailure, commands, isAdminCommand, needsGateway, secretFields, validateArgs, validateResult, type AdminCommand, type AdminResult } from './contract.ts';
import type { AdminContext, Handler, Handlers } from './context.ts';
import { certHandlers } from './certs.ts';
import { KeyAdminError, keyHandlers } from './keys.ts';
import { policyHandlers } from './policy.ts';
import { sessionHandlers } from './sessions.ts';
import { tokenHandlers } from './tokens.ts';
import { userHandlers } from './users.ts';

/** Every command of the contract has exactly one handler (the type says so). */
export const handlers: Handlers = { ...userHandlers, ...keyHandlers, ...tokenHandlers, ...certHandlers, ...sessionHandlers, ...policyHandlers };

function redact(name: AdminCommand, args: Record<string, unknown>): Record<string, unknown> {
  const secret = secretFields(name);
  return Object.fromEntries(Object.entries(args).filter(([k]) => !secret.includes(k)));
}

/** Throws AdminFailure (with its code) on any refusal; otherwise the validated result. */
export async function runCommand(ctx: AdminContext, cmd: unknown, rawArgs: unknown): Promise<unknown> {
  if (!isAdminCommand(cmd)) {
    await ctx.audit('admin.command-refused', { code: 'unknown-command' });
    throw new AdminFailure('unknown-command', `unknown admin command ${String(cmd).slice(0, 64)}; commands: ${Object.keys(commands).join(', ')}`);
  }
  let args: Record<string, unknown>;
  try {
    args = validateArgs(cmd, rawArgs) as Record<string, unknown>;
  } catch (e) {
    await ctx.audit('admin.command-refused', { cmd, code: 'invalid-arguments' });
    throw e;
  }
  if (needsGateway(cmd) && ctx.gateway === null) throw new AdminFailure('not-running', `the gateway is not running, and ${cmd} needs it`);
  let result: unknown;
  try {
    await ctx.audit('admin.command', { cmd, args: redact(cmd, args), by: ctx.actor });
    result = await (handlers[cmd] as Handler<AdminCommand>)(ctx, args as never);
  } catch (e) {
    if (e instanceof AdminFailure) throw e;
    if (e instanceof KeyAdminError) throw new AdminFailure('refused', e.message);
    throw new AdminFailure('internal', `${cmd} failed: ${(e as Error)?.message ?? String(e)}`);
  }
  return validateResult(cmd, result);
}

/** The typed form, for callers that know the command at compile time. */
export async function run<N extends AdminCommand>(ctx: AdminContext, cmd: N, args: unknown): Promise<AdminResult<N>> {
  return await runCommand(ctx, cmd, args) as AdminResult<N>;
}
