/**
 * One password-hashing worker thread of KdfPool (kdf-pool.ts): scrypt, synchronously, on this thread. Not on
 * Node's libuv pool, which the gateway's file writes (audit, trade store) share: a logon storm queued there
 * held up live sessions' writes behind hundreds of ~100 ms hashes.
 *
 * Message in: { id, password, salt (Uint8Array), keylen, N, r, p, maxmem }; out: { id, key: Uint8Array } or
 * { id, error: string }. Anything malformed is answered with an error, never thrown.
 */
import { scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

type Job = { id: number; password: string; salt: Uint8Array; keylen: number; N: number; r: number; p: number; maxmem: number };

const port = parentPort;
if (!port) throw new Error('kdf-worker.ts runs as a worker thread of KdfPool');

port.on('message', (m: Job) => {
  const id = typeof m?.id === 'number' ? m.id : -1;
  try {
    if (typeof m.password !== 'string' || !(m.salt instanceof Uint8Array)) throw new Error('malformed job');
    const key = scryptSync(m.password, m.salt, m.keylen, { N: m.N, r: m.r, p: m.p, maxmem: m.maxmem });
    port.postMessage({ id, key: new Uint8Array(key) });
  } catch (e) {
    port.postMessage({ id, error: (e as Error).message ?? String(e) });
  }
});
