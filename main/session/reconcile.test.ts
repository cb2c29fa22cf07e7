/**
 * Issue 19 item 3, the client core's part: a hit whose answer was lost (the gateway died after reading it) is
 * reconciled after the next logon — the trade history is asked first, then the hit is sent again with the same
 * QuoteRespID, and its fill is recorded exactly once. GatewaySession against a fix/ acceptor over real mutual TLS
 * (dev PKI generated at run time) that drops the first connection on the hit without answering it.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixMessage } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { parleyDictionary, TAG, utcTimestamp } from '../../fix/parley-protocol.ts';
import { createDevPki, type DevPki } from '../../fix/pki/devpki.ts';
import { acceptSession, SessionRegistry, type FixSession } from '../../fix/session.ts';
import { MemoryStore } from '../../fix/store.ts';
import { createFixsServer, type FixsServer } from '../../fix/transport.ts';
import type { Execution } from '../ipc/contract.ts';
import { DeviceKey } from '../keychain/device-identity.ts';
import { Backoff } from './backoff.ts';
import { GatewaySession } from './gateway-session.ts';
import type { NetworkWatcher } from './network-watch.ts';
import { until } from '../testing/until.ts';

describe('reconciling a lost hit after the next logon', () => {
  let dir: string;
  let pki: DevPki;
  let server: FixsServer;
  let session: GatewaySession;
  const hits: string[] = [];
  const historyRequests: string[] = [];
  const executions: Execution[] = [];
  let live: FixSession | undefined;
  const watcher = new EventEmitter() as EventEmitter & { start(): void; stop(): void };
  watcher.start = () => {};
  watcher.stop = () => {};

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parley-reconcile-'));
    pki = await createDevPki(path.join(dir, 'pki'), { clients: ['ALICE'] });
    const store = new MemoryStore();
    const registry = new SessionRegistry();
    server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, (conn) => {
      const s = acceptSession(conn, {
        registry, takeOverSameCertificate: true,
        lookup: (peer, us) => (peer === 'ALICE' && us === 'PARLEY' ? { senderCompId: us, targetCompId: peer, heartBtInt: 30, store, dictionary: parleyDictionary() } : undefined),
        authorizeLogon: async () => ({ ok: true }),
      });
      live = s;
      s.on('error', () => {});
      s.on('message', (m: FixMessage) => {
        if (m.msgType === MsgType.QuoteRequest) {
          s.send(MsgType.Quote, [
            { tag: Tag.QuoteReqID, value: m.get(Tag.QuoteReqID)! }, { tag: Tag.QuoteID, value: 'Q-1' }, { tag: Tag.Symbol, value: 'UST10Y' },
            { tag: Tag.OrderQty, value: '1000000' }, { tag: Tag.Currency, value: 'USD' }, { tag: Tag.BidPx, value: '99.5' }, { tag: Tag.OfferPx, value: '100.25' },
            { tag: Tag.BidSize, value: '1000000' }, { tag: Tag.OfferSize, value: '1000000' }, { tag: Tag.ValidUntilTime, value: utcTimestamp(new Date(Date.now() + 120_000)) },
            { tag: Tag.TransactTime, value: utcTimestamp(new Date()) }, { tag: TAG.Dealer, value: 'DLR1' },
          ]);
        } else if (m.msgType === MsgType.QuoteResponse) {
          const resp = m.get(Tag.QuoteRespID)!;
          hits.push(resp);
          // The first hit is "lost": the gateway goes away before answering it.
          if (hits.length === 1) { conn.socket.destroy(); return; }
          s.send(MsgType.ExecutionReport, [
            { tag: Tag.OrderID, value: 'T-1' }, { tag: Tag.ClOrdID, value: resp }, { tag: Tag.QuoteRespID, value: resp }, { tag: Tag.ExecID, value: 'E-1' },
            { tag: Tag.ExecType, value: 'F' }, { tag: Tag.OrdStatus, value: '2' }, { tag: Tag.Symbol, value: 'UST10Y' }, { tag: Tag.Side, value: '1' },
            { tag: Tag.OrderQty, value: '1000000' }, { tag: Tag.LastQty, value: '1000000' }, { tag: Tag.LastPx, value: '100.25' },
            { tag: Tag.LeavesQty, value: '0' }, { tag: Tag.CumQty, value: '1000000' }, { tag: Tag.AvgPx, value: '100.25' },
            { tag: Tag.TransactTime, value: utcTimestamp(new Date()) }, { tag: TAG.Dealer, value: 'DLR1' },
          ]);
        } else if (m.msgType === MsgType.TradeCaptureReportRequest) {
          historyRequests.push(m.get(Tag.TradeRequestID)!);
          // Nothing was booked: an empty history.
          s.send(MsgType.TradeCaptureReportRequestAck, [
            { tag: Tag.TradeRequestID, value: m.get(Tag.TradeRequestID)! }, { tag: Tag.TradeRequestType, value: '0' }, { tag: Tag.TotNumTradeReports, value: '0' },
            { tag: Tag.TradeRequestResult, value: '0' }, { tag: Tag.TradeRequestStatus, value: '0' },
          ]);
        }
      });
    });
    const leaf = pki.clients.ALICE!.ec;
    session = new GatewaySession({
      dataDir: path.join(dir, 'client'),
      target: () => ({ host: '127.0.0.1', port: server.port, compId: 'PARLEY', caPem: [pki.caCertPem], spkiPins: [] }),
      identity: () => ({ key: DeviceKey.fromPem(leaf.keyPem), certificatePem: leaf.certPem, chainPem: [], compId: 'ALICE' }),
      attest: async () => 'jws.test',
      reattestIntervalSec: () => 3_600,
      backoff: new Backoff({ baseMs: 50, maxMs: 200 }),
      watcher: watcher as unknown as NetworkWatcher,
    });
    session.on('execution', (e: Execution) => executions.push(e));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks the history, then sends the unanswered hit again with the same QuoteRespID; the fill is recorded once', async () => {
    expect(await session.signIn('alice', 'pw')).toMatchObject({ state: 'connected' });
    const settle = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await session.createRfq({ clientRfqId: 'rc-1', instrument: 'UST10Y', side: 'buy', quantity: 1_000_000, settlementDate: settle, dealers: 'all', expirySeconds: 120 });
    await until(() => session.book.get('rc-1')?.quotes.length === 1, 'the quote');
    const first = await session.hitQuote('rc-1', 'Q-1');
    expect(first.status).toBe('submitted');
    await until(() => hits.length === 2 && executions.length === 1, 'the hit asked again after the next logon, and its fill');
    expect(hits[1]).toBe(hits[0]);
    expect(historyRequests.length).toBe(1);
    expect(executions.map((e) => [e.execId, e.clientRfqId])).toEqual([['E-1', 'rc-1']]);
    expect(session.book.get('rc-1')?.status).toBe('executed');
    expect(live?.state).toBe('active');
  });
});
