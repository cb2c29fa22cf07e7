/**
 * The fix/ engine on its own, for `npm start` until the gateway and client take over:
 *   bash scripts/node.sh fix/demo.ts serve  [--pki .data/pki] [--port 0]
 *       fresh dev PKI, then a FIXS acceptor (TLS 1.3, client certificates bound to CompIDs, FileStore in
 *       .data/fix-store) that answers every QuoteRequest with a Quote; prints how to connect
 *   bash scripts/node.sh fix/demo.ts client --port <port> [--pki .data/pki] [--as CLIENT1]
 *       logs on with that client's certificate, sends a QuoteRequest, prints the Quote, logs out
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FixMessage } from './codec.ts';
import { createDevPki, loadDevPki } from './pki/devpki.ts';
import { acceptSession, initiateSession } from './session.ts';
import { FileStore, MemoryStore } from './store.ts';
import { connectFixs, createFixsServer } from './transport.ts';

const CLIENTS = ['CLIENT1', 'CLIENT2'];
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { pki: { type: 'string', default: '.data/pki' }, port: { type: 'string', default: '0' }, as: { type: 'string', default: 'CLIENT1' } },
});
const pkiDir = resolve(values.pki!);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');

async function serve(): Promise<void> {
  rmSync(pkiDir, { recursive: true, force: true });
  const pki = await createDevPki(pkiDir, { clients: CLIENTS });
  const storeDir = resolve('.data/fix-store');
  mkdirSync(storeDir, { recursive: true });
  // One store per session for the life of the process: sequence numbers carry over between connections.
  const stores = new Map<string, FileStore>();
  const server = await createFixsServer({
    key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem, crl: pki.readCrl, port,
    onRefused: (r) => console.log(`refused ${r.remoteAddress}: ${r.reason}`),
  }, (conn) => {
    const s = acceptSession(conn, {
      lookup: (sender, target) => {
        if (target !== 'PARLEY' || !CLIENTS.includes(sender)) return undefined;
        let store = stores.get(sender);
        if (!store) { store = new FileStore(join(storeDir, `PARLEY-${sender}.log`)); stores.set(sender, store); }
        return { senderCompId: 'PARLEY', targetCompId: sender, heartBtInt: 30, store };
      },
    });
    s.on('logon', (m: FixMessage) => console.log(`logon ${m.get(49)} over ${conn.protocol} ${conn.cipher}`));
    s.on('message', (m: FixMessage) => {
      if (m.msgType !== 'R') { s.businessReject(m, 3, 'Unsupported Message Type'); return; }
      const id = m.get(131) ?? '';
      s.send('S', [{ tag: 117, value: `Q-${id}` }, { tag: 131, value: id }, { tag: 55, value: m.get(55) ?? '' }, { tag: 132, value: '99.50' }, { tag: 133, value: '100.25' }]);
    });
    s.on('closed', (why: string) => console.log(`closed: ${why}`));
  });
  console.log(`FIXS acceptor (SenderCompID PARLEY) on 127.0.0.1:${server.port}, TLS 1.3, client certificates from ${pki.caCertPath}`);
  console.log(`clients: ${CLIENTS.join(', ')} — certificates in ${pkiDir} (<name>.ec.* P-256, <name>.rsa.* RSA-2048)`);
  console.log(`try:  bash scripts/node.sh fix/demo.ts client --port ${server.port}`);
  console.log(`or:   openssl s_client -connect 127.0.0.1:${server.port} -CAfile ${pki.caCertPath} -cert ${pki.clients.CLIENT1!.ec.certPath} -key ${pki.clients.CLIENT1!.ec.keyPath}`);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function client(): Promise<void> {
  const name = values.as!;
  const pki = await loadDevPki(pkiDir, [name]);
  const c = pki.clients[name]!.ec;
  const conn = await connectFixs({ host: '127.0.0.1', port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
  const s = initiateSession(conn, { senderCompId: name, targetCompId: 'PARLEY', heartBtInt: 30, store: new MemoryStore(), resetOnLogon: true });
  s.on('logon', () => {
    console.log(`logged on over ${conn.protocol}; sending QuoteRequest`);
    s.send('R', [{ tag: 131, value: `RFQ-${Date.now()}` }, { tag: 146, value: '1' }, { tag: 55, value: 'XS0000000001' }, { tag: 54, value: '1' }, { tag: 38, value: '5000000' }]);
  });
  s.on('message', (m: FixMessage) => {
    console.log(`received ${m.msgType === 'S' ? 'Quote' : m.msgType}: ${m.fields.map((f) => `${f.tag}=${f.value}`).join('|')}`);
    void s.logout();
  });
  s.on('closed', (why: string) => { console.log(`closed: ${why}`); process.exit(0); });
}

if (positionals[0] === 'serve') await serve();
else if (positionals[0] === 'client') await client();
else { console.error('usage: fix/demo.ts serve|client [--port N] [--pki dir]'); process.exit(2); }
