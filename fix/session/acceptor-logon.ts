/**
 * An acceptor's first message: the Logon that names the session, and every check before it is answered
 * (certificate→CompID binding, duplicate logon or takeover, dictionary, SendingTime, authorizeLogon).
 */
import { encodeMessage, type Field, type FixMessage } from '../codec.ts';
import { utcTimestamp } from '../protocol/time.ts';
import { validateMessage } from '../validate.ts';
import type { SessionContext } from './context.ts';
import { goodTime, nextLogon } from './inbound.ts';
import { sameCertificateKey, TAKEN_OVER } from './registry.ts';
import type { SessionConfig } from './types.ts';
import { bodyOnly } from './writer.ts';

export async function firstMessage(ctx: SessionContext, msg: FixMessage): Promise<void> {
  const acc = ctx.accept!;
  if (msg.get(8) !== 'FIX.4.4') return ctx.disconnect(`first message has BeginString ${msg.get(8)}`, 'not-a-logon');
  if (msg.msgType !== 'A') return ctx.disconnect('first message is not a Logon', 'not-a-logon');
  const peer = msg.get(49) ?? '';
  const us = msg.get(56) ?? '';
  if (!peer || !us) return ctx.disconnect('Logon without SenderCompID or TargetCompID', 'unknown-session');
  const allowed = ctx.connection?.allowedCompIds;
  const foreign = allowed !== undefined && !allowed.includes(peer);
  // A certificate presented for a CompID it is not bound to is reported (the gateway alerts) whether or not the
  // CompID names a session; a reporting hook never decides anything.
  if (foreign) {
    try { acc.onForeignCompId?.({ compId: peer, allowed: [...allowed], connection: ctx.connection! }); } catch { /* reported only */ }
  }
  const cfg = acc.lookup(peer, us);
  // An unknown session is dropped without an answer, as FIX 4.4 prescribes (acceptance 1c_InvalidSenderCompID).
  if (!cfg || cfg.senderCompId !== us || cfg.targetCompId !== peer) return ctx.disconnect(`no session ${peer}->${us}`, 'unknown-session');
  if (foreign) {
    // Refused before the session is touched: the Logout is built from the CompIDs alone (refusalBytes), so a
    // connection whose certificate is not bound to this CompID learns nothing of the session's state.
    ctx.writer.write(refusalBytes(us, peer, `certificate is not authorised for SenderCompID ${peer}`, []));
    return ctx.disconnect(`logon refused: certificate is not authorised for SenderCompID ${peer}`, 'logon-refused');
  }
  ctx.config = cfg;
  const key = `${cfg.senderCompId}|${cfg.targetCompId}`;
  const registry = ctx.registry;
  // A takeover is only decided once this Logon has passed every check (authorizeLogon included): a Logon
  // that fails them must not cost the live connection anything.
  let takingOver = false;
  if (!registry.claim(key, ctx.session)) {
    if (!acc.takeOverSameCertificate || !sameCertificateKey(registry.get(key)?.connection, ctx.connection)) {
      ctx.config = undefined;
      return ctx.disconnect(`session ${peer}->${us} is already logged on`, 'already-logged-on');
    }
    // Only a session that is logged on can be taken over, by one Logon at a time: parallel Logons with the same
    // certificate must not each run authorizeLogon (a password check each) at once.
    if (registry.get(key)?.state === 'connecting' || !registry.beginTakeover(key)) {
      ctx.config = undefined;
      return ctx.disconnect(`session ${peer}->${us} is already logging on`, 'already-logged-on');
    }
    takingOver = true;
  } else {
    ctx.registryKey = key;
  }
  try {
    await authorizeFirstLogon(ctx, msg, cfg, key, peer, us, takingOver);
  } finally {
    if (takingOver) registry.endTakeover(key);
  }
}

async function authorizeFirstLogon(ctx: SessionContext, msg: FixMessage, cfg: SessionConfig, key: string, peer: string, us: string, takingOver: boolean): Promise<void> {
  const acc = ctx.accept!;
  const rej = validateMessage(msg, ctx.dict, { checkFieldsHaveValues: cfg.checkFieldsHaveValues ?? true });
  if (rej) return ctx.disconnect(`invalid Logon: ${rej.text}`, 'invalid-logon');
  const hb = msg.getInt(108);
  if (hb === undefined || hb < 0 || hb > 3600) return ctx.disconnect('invalid HeartBtInt', 'invalid-logon');
  if (!goodTime(ctx, msg)) return ctx.disconnect('Logon SendingTime accuracy problem', 'invalid-logon');
  let extra: Field[] = [];
  if (acc.authorizeLogon) {
    const d = await acc.authorizeLogon(msg, ctx.connection!);
    if (ctx.closed) return;
    if (!d.ok) return refuseLogon(ctx, d.text, d.extraFields);
    extra = d.extraFields ?? [];
  }
  if (takingOver && !takeOver(ctx, key, peer, us)) return;
  nextLogon(ctx, msg, extra);
}

/** Drops the live connection of the session (if it still has one) and makes this one the session's. */
function takeOver(ctx: SessionContext, key: string, peer: string, us: string): boolean {
  const live = ctx.registry.get(key);
  const from = (ctx.connection?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  if (live && live !== ctx.session && live.state !== 'closed') {
    // Re-checked: while this Logon was being authorised another connection may have taken the session.
    if (!sameCertificateKey(live.connection, ctx.connection)) {
      ctx.config = undefined;
      ctx.disconnect(`session ${peer}->${us} is already logged on`, 'already-logged-on');
      return false;
    }
    const was = (live.connection?.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    live.disconnect(`${TAKEN_OVER} ${from}`, 'taken-over');
    ctx.event(`session ${peer}->${us} taken over from the connection from ${was}`);
  }
  ctx.registry.takeOver(key, ctx.session);
  ctx.registryKey = key;
  return true;
}

function refuseLogon(ctx: SessionContext, text: string, extra: Field[] = []): void {
  // Not stored and no sequence number consumed: the session never started.
  ctx.writer.write(refusalBytes(ctx.cfg.senderCompId, ctx.cfg.targetCompId, text, extra));
  ctx.disconnect(`logon refused: ${text}`, 'logon-refused');
}

/**
 * A Logout refusing a Logon, built from the CompIDs alone: MsgSeqNum(34) is always 1, never the session's next
 * number. The connection has not been authorised for the session (its certificate, password or device did not
 * pass), so nothing of the session's state goes out to it; the refusal is neither stored nor counted by either
 * side (QuickFIX and fix/ initiators read a Logout answering their Logon without a sequence check).
 */
function refusalBytes(sender: string, target: string, text: string, extra: Field[]): Buffer {
  return encodeMessage('FIX.4.4', [
    { tag: 35, value: '5' }, { tag: 34, value: '1' }, { tag: 49, value: sender }, { tag: 52, value: utcTimestamp() },
    { tag: 56, value: target }, { tag: 58, value: text }, ...bodyOnly(extra),
  ]);
}
