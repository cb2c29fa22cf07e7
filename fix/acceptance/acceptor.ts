/**
 * The acceptor the acceptance definitions assume: SenderCompID ISLD; clients TW44, TW and
 * NO_CHECK_FIELDS_HAVE_VALUES (empty-value checks off); ResetOnLogon=Y; FIX 4.4 dictionary validation; and
 * the echo application of QuickFIX's acceptance suite: NewOrderSingle (D) and SecurityDefinition (d) are
 * sent back, a PossResend=Y order whose ClOrdID this session has already seen is ignored, and any other
 * application message is answered with BusinessMessageReject "Unsupported Message Type".
 *
 * API
 *   startAcceptanceAcceptor({ tls?: { key, cert, ca, crl? }, heartbeatUnitMs?, logoutTimeoutMs? })
 *     → Promise<{ port, close(), sessions: FixSession[] }>   TLS when `tls` is given, else plain TCP.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Field, FixMessage } from '../codec.ts';
import { acceptSession, type FixSession, type SessionConfig, SessionRegistry } from '../session.ts';
import { MemoryStore } from '../store.ts';
import { createFixsServer, type FixConnection, plainConnection } from '../transport.ts';

export interface AcceptanceAcceptorOptions {
  tls?: { key: string; cert: string; ca: string; crl?: () => string };
  heartbeatUnitMs?: number;
  logoutTimeoutMs?: number;
}
export interface AcceptanceAcceptor { port: number; close(): Promise<void>; sessions: FixSession[] }

const CLIENTS = ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES'];
const ECHOED = new Set(['D', 'd']);

export async function startAcceptanceAcceptor(opts: AcceptanceAcceptorOptions = {}): Promise<AcceptanceAcceptor> {
  const registry = new SessionRegistry();
  const configs = new Map<string, SessionConfig>();
  for (const c of CLIENTS) {
    configs.set(c, {
      senderCompId: 'ISLD', targetCompId: c, heartBtInt: 30, resetOnLogon: true, store: new MemoryStore(),
      checkFieldsHaveValues: c !== 'NO_CHECK_FIELDS_HAVE_VALUES',
      heartbeatUnitMs: opts.heartbeatUnitMs ?? 1000, logoutTimeoutMs: opts.logoutTimeoutMs ?? 2000,
      logonTimeoutMs: 10_000,
    });
  }
  const sessions: FixSession[] = [];
  const onConnection = (conn: FixConnection): void => {
    const session = acceptSession(conn, {
      registry,
      lookup: (sender, target) => (target === 'ISLD' ? configs.get(sender) : undefined),
    });
    sessions.push(session);
    let seen = new Set<string>();
    session.on('logon', () => { seen = new Set(); });
    session.on('message', (msg: FixMessage) => {
      if (!ECHOED.has(msg.msgType)) {
        session.businessReject(msg, 3, 'Unsupported Message Type');
        return;
      }
      const id = msg.get(11);
      if (id !== undefined) {
        if (msg.get(97) === 'Y' && seen.has(id)) return;
        seen.add(id);
      }
      const body: Field[] = msg.fields.filter((f: Field) => ![8, 9, 10, 34, 35, 43, 49, 52, 56, 122].includes(f.tag));
      session.send(msg.msgType, body);
    });
  };
  if (opts.tls) {
    const t = opts.tls;
    const server = await createFixsServer({ key: t.key, cert: t.cert, ca: t.ca, ...(t.crl ? { crl: t.crl } : {}) }, onConnection);
    return { port: server.port, close: () => server.close(), sessions };
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    onConnection(plainConnection(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
    sessions,
  };
}
