/**
 * A session's clock: the logon and logout timeouts, heartbeats and TestRequests (QuickFIX's thresholds:
 * a TestRequest at 1.2 × HeartBtInt of silence, giving up at 2.4 ×) and the daily sequence reset.
 */
import type { SessionContext } from './context.ts';
import { generateHeartbeat, generateLogout } from './generate.ts';

export class SessionClock {
  lastRecv = Date.now();
  testRequests = 0;
  readonly startedAt = Date.now();
  logoutAt = 0;
  /** epoch ms of the next daily reset, 0 for none */
  nextDailyReset = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Ticks often enough that a heartbeat comes due well before the TestRequest threshold (1.2 × HeartBtInt). */
  start(periodMs: number, tick: () => void): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = setInterval(tick, periodMs);
    this.#timer.unref();
  }
  stop(): void { if (this.#timer) clearInterval(this.#timer); }

  scheduleDailyReset(at: string | undefined): void {
    if (!at) return;
    const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(at);
    if (!m) return;
    const now = new Date();
    let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), +m[1]!, +m[2]!, +(m[3] ?? 0));
    if (t <= now.getTime()) t += 86_400_000;
    this.nextDailyReset = t;
  }
}

export function tick(ctx: SessionContext): void {
  if (ctx.closed) return;
  const clock = ctx.clock;
  const now = Date.now();
  if (!ctx.receivedLogon) {
    const limit = ctx.config?.logonTimeoutMs ?? ctx.accept?.logonTimeoutMs ?? 10_000;
    if (now - clock.startedAt >= limit) ctx.disconnect('logon timed out', 'logon-timeout');
    return;
  }
  if (ctx.sentLogout) {
    if (now - clock.logoutAt >= (ctx.config?.logoutTimeoutMs ?? 2000)) ctx.disconnect('logout timed out', 'logout-timeout');
    return;
  }
  if (clock.nextDailyReset && now >= clock.nextDailyReset) {
    clock.nextDailyReset = 0;
    generateLogout(ctx, 'Daily session reset');
    ctx.store.reset();
    ctx.disconnect('daily reset', 'daily-reset');
    return;
  }
  const hb = ctx.hbMs;
  if (hb <= 0) return;
  const sinceRecv = now - clock.lastRecv;
  const sinceSent = now - ctx.writer.lastSent;
  if (sinceSent < hb && sinceRecv < hb) return;
  if (sinceRecv >= 2.4 * hb) {
    ctx.disconnect('timed out waiting for the peer (no answer to TestRequest)', 'peer-timeout');
  } else if (sinceRecv >= 1.2 * (clock.testRequests + 1) * hb) {
    ctx.writer.sendRaw('1', [{ tag: 112, value: 'TEST' }]);
    clock.testRequests++;
  } else if (sinceSent >= hb && clock.testRequests === 0) {
    generateHeartbeat(ctx);
  }
}
