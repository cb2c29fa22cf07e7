// Test fixture for kdf-pool.test.ts: kdf-worker.ts's protocol, except that password "crash" kills the thread
// with an uncaught exception and "hang" never answers (the pool must replace the worker and go on).
import { scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

type Job = { id: number; password: string; salt: Uint8Array; keylen: number; N: number; r: number; p: number; maxmem: number };
parentPort!.on('message', (m: Job) => {
  if (m.password === 'crash') throw new Error('worker crashed on purpose');
  if (m.password === 'hang') for (;;) { /* busy forever: only terminate() ends it */ }
  const key = scryptSync(m.password, m.salt, m.keylen, { N: m.N, r: m.r, p: m.p, maxmem: m.maxmem });
  parentPort!.postMessage({ id: m.id, key: new Uint8Array(key) });
});
