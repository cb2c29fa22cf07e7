/**
 * Named kill points for the crash-consistency tests (test/crash/): when the environment variable PARLEY_CRASH_AT
 * names a point (`after-trade-record`) or a point and what it applies to (`after-inbound-seq:AJ`), the process
 * kills itself with SIGKILL there — no shutdown code runs, exactly as kill -9 at that instant. Unset (every real
 * deployment), a point is one string comparison and does nothing. Read at each point, so nothing is cached.
 */
export function crashPoint(point: string, subject?: string): void {
  const at = process.env.PARLEY_CRASH_AT;
  if (at === undefined || at === '') return;
  if (at === point || (subject !== undefined && at === `${point}:${subject}`)) process.kill(process.pid, 'SIGKILL');
}
