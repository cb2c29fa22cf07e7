/**
 * Password hashing (scrypt) in a small pool of worker threads with a bounded queue, so a logon storm neither
 * blocks the event loop nor queues without bound: past the bound a hash is refused at once (KdfBusyError) and
 * the logon told "busy, retry".
 *
 * API
 *   new KdfPool({ workers? (cores - 1, at least 1, at most 4); maxQueue? (32 waiting beyond those running);
 *     jobTimeoutMs? (30 s: a worker stuck longer is replaced); workerUrl? (tests) })
 *   scrypt(password, salt, keylen, { N, r, p, maxmem }): Promise<Buffer> — the same as node:crypto's scrypt;
 *     rejects with KdfBusyError when every worker is busy and the queue is full, with KdfWorkerError when the
 *     worker died or timed out on this job (the worker is replaced and the queue goes on)
 *   isKdfRefusal(e): e is KdfBusyError | KdfWorkerError — the password was not checked; a retry may succeed
 *   busy: boolean (a new job would be refused); stats(): { workers; running; queued; done; refused; crashes }
 *   close(): Promise<void> — stops the workers; queued and running jobs reject with KdfWorkerError
 *
 * Why threads of our own: node:crypto's async scrypt runs on libuv's pool (4 threads), which the gateway's file
 * writes share, with an unbounded queue. Workers are unref'd so a forgotten close() never keeps a process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export class KdfBusyError extends Error {
  constructor() {
    super('busy, retry: every password worker is busy and the queue is full');
    this.name = 'KdfBusyError';
  }
}

export class KdfWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KdfWorkerError';
  }
}

/** The pool could not check the password (busy, or its worker failed): the logon may simply be tried again. */
export function isKdfRefusal(e: unknown): e is KdfBusyError | KdfWorkerError {
  return e instanceof KdfBusyError || e instanceof KdfWorkerError;
}

export type ScryptParams = { N: number; r: number; p: number; maxmem: number };
type Job = { id: number; password: string; salt: Uint8Array; keylen: number; params: ScryptParams; resolve: (b: Buffer) => void; reject: (e: Error) => void };
type Slot = { worker: Worker; job: Job | undefined; timer: NodeJS.Timeout | undefined; online: boolean };

export type KdfPoolOptions = { workers?: number; maxQueue?: number; jobTimeoutMs?: number; workerUrl?: URL };

export class KdfPool {
  readonly size: number;
  readonly maxQueue: number;
  readonly #timeoutMs: number;
  readonly #url: URL;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  #done = 0;
  #refused = 0;
  #crashes = 0;

  constructor(o: KdfPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(o.workers ?? Math.min(4, availableParallelism() - 1)));
    this.maxQueue = Math.max(0, Math.floor(o.maxQueue ?? 32));
    this.#timeoutMs = o.jobTimeoutMs ?? 30_000;
    this.#url = o.workerUrl ?? new URL('./kdf-worker.ts', import.meta.url);
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.#url), job: undefined, timer: undefined, online: false };
    slot.worker.unref();
    // The job's clock starts when the thread runs: loading the worker under load must not count as a hang.
    slot.worker.once('online', () => { slot.online = true; if (slot.job) this.#arm(slot); });
    slot.worker.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
      const job = slot.job;
      if (!job || m?.id !== job.id) return;
      this.#finish(slot);
      if (m.key instanceof Uint8Array) { this.#done++; job.resolve(Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength)); }
      else job.reject(new Error(typeof m.error === 'string' ? m.error : 'password worker answered nothing'));
      this.#dispatch();
    });
    // 'error' is followed by 'exit'; the exit is where the slot is replaced.
    slot.worker.on('error', () => {});
    slot.worker.once('exit', (code) => this.#lost(slot, `the password worker stopped (exit code ${code})`));
    return slot;
  }

  #finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
  }

  /** A worker gone (crash, timeout, close): its job fails, a fresh worker takes its place unless closing. */
  #lost(slot: Slot, why: string): void {
    const job = slot.job;
    this.#finish(slot);
    const i = this.#slots.indexOf(slot);
    if (this.#closed || i < 0) { job?.reject(new KdfWorkerError(why)); return; }
    this.#crashes++;
    job?.reject(new KdfWorkerError(why));
    if (slot.online) {
      this.#slots[i] = this.#spawn();
      this.#dispatch();
      return;
    }
    // It never started (a broken install, not a bad job): no tight respawn loop, and nobody waits on it.
    for (const j of this.#queue.splice(0)) j.reject(new KdfWorkerError(`the password worker could not start: ${why}`));
    const retry = setTimeout(() => { if (!this.#closed && this.#slots[i] === slot) { this.#slots[i] = this.#spawn(); this.#dispatch(); } }, 1000);
    retry.unref();
  }

  #arm(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => { void slot.worker.terminate(); }, this.#timeoutMs);
    slot.timer.unref();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.job = job;
      if (slot.online) this.#arm(slot);
      slot.worker.postMessage({ id: job.id, password: job.password, salt: job.salt, keylen: job.keylen, ...job.params });
    }
  }

  get busy(): boolean {
    return this.#slots.every((s) => s.job) && this.#queue.length >= this.maxQueue;
  }

  scrypt(password: string, salt: Uint8Array, keylen: number, params: ScryptParams): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new KdfWorkerError('the password pool is closed'));
    if (this.busy) { this.#refused++; return Promise.reject(new KdfBusyError()); }
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, password, salt: new Uint8Array(salt), keylen, params: { N: params.N, r: params.r, p: params.p, maxmem: params.maxmem }, resolve, reject });
      this.#dispatch();
    });
  }

  stats(): { workers: number; running: number; queued: number; done: number; refused: number; crashes: number } {
    return { workers: this.size, running: this.#slots.filter((s) => s.job).length, queued: this.#queue.length, done: this.#done, refused: this.#refused, crashes: this.#crashes };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new KdfWorkerError('the password pool is closed'));
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
