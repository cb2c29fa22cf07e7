/**
 * Child process for the kill -9 tests (fix/session.test.ts): a fix/ initiator with a FileStore.
 *   store-child.ts send   <port> <storePath> <pkiDir> <count>   logs on (ResetOnLogon), sends <count> QuoteRequests,
 *                                                                prints "SENT <lastSeq>", then idles until killed
 *   store-child.ts resume <port> <storePath> <pkiDir>           logs on without reset, prints "LOGON <seq>", answers
 *                                                                resends from the store, idles until killed
 *   store-child.ts flood  <storePath>                           saves messages forever (no network) until killed
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMessage } from '../codec.ts';
import { initiateSession, utcTimestamp } from '../session.ts';
import { FileStore } from '../store.ts';
import { connectFixs } from '../transport.ts';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'flood') {
  const store = new FileStore(args[0]!, { fsync: 'never' });
  let seq = store.getNextSenderSeqNum();
  const tick = (): void => {
    for (let i = 0; i < 200; i++, seq++) {
      store.saveSent(seq, encodeMessage('FIX.4.4', [{ tag: 35, value: 'R' }, { tag: 34, value: String(seq) }, { tag: 52, value: utcTimestamp() }, { tag: 131, value: `F${seq}` }]));
    }
    if (seq > 2000) console.log(`FLOODING ${seq}`);
    setImmediate(tick);
  };
  tick();
} else {
  const [port, storePath, pkiDir, count] = args;
  const read = (f: string): string => readFileSync(join(pkiDir!, f), 'utf8');
  const conn = await connectFixs({ host: '127.0.0.1', port: Number(port), key: read('CRASHER.ec.key.pem'), cert: read('CRASHER.ec.crt.pem'), ca: read('ca.crt.pem'), servername: 'localhost' });
  const store = new FileStore(storePath!);
  const resume = mode === 'resume';
  const session = initiateSession(conn, { senderCompId: 'CRASHER', targetCompId: 'GW', heartBtInt: 30, store, resetOnLogon: !resume });
  session.on('logon', () => {
    if (resume) { console.log(`LOGON ${store.getNextSenderSeqNum() - 1}`); return; }
    let last = 0;
    for (let i = 1; i <= Number(count); i++) {
      last = session.send('R', [{ tag: 131, value: `QR${i}` }, { tag: 146, value: '1' }, { tag: 55, value: `SYM${i}` }]);
    }
    console.log(`SENT ${last}`);
  });
  session.on('closed', (why: string) => { console.log(`CLOSED ${why}`); process.exit(0); });
  setInterval(() => undefined, 1000);
}
