// The gateway under benchmark, alone in its process; with "echo", also a bare mutual-TLS echo server on the
// same certificates (the peer the RFQ round trip is compared with). Prints {"fixPort", "echoPort"} once ready.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../gateway/config.ts';
import { Gateway } from '../../gateway/server.ts';
import { LogonGuard } from '../../gateway/session/logon-guard.ts';

const cfg = loadConfig(process.argv[2]!);
const gw = await Gateway.start(cfg, { memoryStores: true, log: () => {} });
// storm-bench: hundreds of logons come from 127.0.0.1 alone; the per-source limit (120/min) would refuse them
// before any password is checked, and the storm is meant to reach the password check.
if (process.env.BENCH_LOGON_LIMITS === 'off') {
  (gw.manager as { logons: LogonGuard }).logons = new LogonGuard({ perSourcePerMinute: 1_000_000, perCertificatePerMinute: 1_000_000 });
}
let echoPort: number | undefined;
if (process.argv[3] === 'echo') {
  const p = cfg.paths;
  const echo = createServer({
    key: readFileSync(p.serverKey), cert: readFileSync(p.serverCert), ca: readFileSync(p.caCert),
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
  }, (s) => { s.on('error', () => {}); s.pipe(s); });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as AddressInfo).port;
}
process.stdout.write(`${JSON.stringify({ fixPort: gw.fixPort, echoPort })}\n`);
process.on('SIGTERM', () => { void gw.close().then(() => process.exit(0)); });
