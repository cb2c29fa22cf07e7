import { randomBytes, scrypt as scryptCb } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './directory.ts';
import { KdfBusyError, KdfPool, KdfWorkerError, type ScryptParams } from './kdf-pool.ts';

const FIXTURE = new URL('./kdf-pool.fixture-worker.ts', import.meta.url);
const cheap = (N = 1 << 10): ScryptParams => ({ N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
const reference = (pw: string, salt: Buffer, len: number, o: ScryptParams) =>
  new Promise<Buffer>((res, rej) => scryptCb(pw, salt, len, o, (e, k) => (e ? rej(e) : res(k))));

let tmp: string;
const pools: KdfPool[] = [];
function pool(o: ConstructorParameters<typeof KdfPool>[0]): KdfPool {
  const p = new KdfPool(o);
  pools.push(p);
  return p;
}
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'parley-kdf-')); });
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await rm(tmp, { recursive: true, force: true });
});

describe('KdfPool', () => {
  it('derives the same keys as node:crypto scrypt, many jobs over two workers', async () => {
    const p = pool({ workers: 2, maxQueue: 64 });
    const jobs = Array.from({ length: 24 }, (_, i) => ({ pw: `pässword-${i}`, salt: randomBytes(16), len: 16 + (i % 3) * 16, o: cheap(1 << (10 + (i % 3))) }));
    const got = await Promise.all(jobs.map((j) => p.scrypt(j.pw, j.salt, j.len, j.o)));
    const want = await Promise.all(jobs.map((j) => reference(j.pw, j.salt, j.len, j.o)));
    expect(got.map((b) => b.toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
    expect(p.stats()).toMatchObject({ workers: 2, running: 0, queued: 0, done: 24, refused: 0, crashes: 0 });
  });

  it('verifyPassword and hashPassword through the pool agree with the in-process ones', async () => {
    const p = pool({ workers: 1 });
    const kdf = p.scrypt.bind(p);
    const h = await hashPassword('correct horse', { N: 1 << 10 }, kdf);
    expect(await verifyPassword(h, 'correct horse')).toBe(true);
    expect(await verifyPassword(h, 'correct horse', kdf)).toBe(true);
    expect(await verifyPassword(h, 'wrong horse', kdf)).toBe(false);
    expect(await verifyPassword(await hashPassword('x', { N: 1 << 10 }), 'x', kdf)).toBe(true);
  });

  it('bounds its queue: past running + maxQueue a job is refused at once with KdfBusyError, and accepted again after', async () => {
    const p = pool({ workers: 1, maxQueue: 2 });
    const salt = randomBytes(16);
    // Submitted in one turn of the event loop: the worker cannot have finished any, so the fourth is refused.
    const accepted = [1, 2, 3].map((i) => p.scrypt(`pw${i}`, salt, 32, cheap(1 << 14)));
    expect(p.busy).toBe(true);
    const refused = p.scrypt('pw4', salt, 32, cheap());
    await expect(refused).rejects.toBeInstanceOf(KdfBusyError);
    await expect(refused).rejects.toThrow(/^busy, retry/);
    expect(p.stats()).toMatchObject({ running: 1, queued: 2, refused: 1 });
    expect((await Promise.all(accepted)).map((k) => k.length)).toEqual([32, 32, 32]);
    expect(p.busy).toBe(false);
    expect((await p.scrypt('pw5', salt, 32, cheap())).length).toBe(32);
  });

  it('a worker that crashes fails only its own job; a fresh worker serves the queue and later jobs', async () => {
    const p = pool({ workers: 1, maxQueue: 8, workerUrl: FIXTURE });
    const salt = randomBytes(16);
    const before = p.scrypt('before', salt, 32, cheap());
    const crash = p.scrypt('crash', salt, 32, cheap());
    const after = [1, 2, 3].map((i) => p.scrypt(`after-${i}`, salt, 32, cheap()));
    const [b, c, ...a] = await Promise.allSettled([before, crash, ...after]); // all handled from the start
    expect(b).toEqual({ status: 'fulfilled', value: await reference('before', salt, 32, cheap()) });
    expect(c.status === 'rejected' && c.reason).toBeInstanceOf(KdfWorkerError);
    expect(c.status === 'rejected' && (c.reason as Error).message).toMatch(/stopped \(exit code 1\)/);
    for (const [i, r] of a.entries()) expect(r).toEqual({ status: 'fulfilled', value: await reference(`after-${i + 1}`, salt, 32, cheap()) });
    expect(p.stats()).toMatchObject({ crashes: 1, done: 4, running: 0, queued: 0 });
  });

  it('a worker that hangs is replaced after jobTimeoutMs and the pool goes on', async () => {
    const p = pool({ workers: 1, maxQueue: 8, workerUrl: FIXTURE, jobTimeoutMs: 200 });
    const salt = randomBytes(16);
    const [hang, next] = await Promise.allSettled([p.scrypt('hang', salt, 32, cheap()), p.scrypt('next', salt, 32, cheap())]);
    expect(hang.status === 'rejected' && hang.reason).toBeInstanceOf(KdfWorkerError);
    expect(next).toEqual({ status: 'fulfilled', value: await reference('next', salt, 32, cheap()) });
    expect(p.stats().crashes).toBe(1);
  });

  it('answers hostile parameters with an error, not a dead worker', async () => {
    const p = pool({ workers: 1, maxQueue: 8 });
    const salt = randomBytes(16);
    await expect(p.scrypt('x', salt, 32, { N: 3, r: 8, p: 1, maxmem: 1 << 26 })).rejects.toThrow();
    await expect(p.scrypt('x', salt, 32, { N: 1 << 20, r: 8, p: 1, maxmem: 1024 })).rejects.toThrow(/memory|maxmem|limit/i);
    await expect(p.scrypt('x', salt, -1, cheap())).rejects.toThrow();
    await expect(p.scrypt(42 as unknown as string, salt, 32, cheap())).rejects.toThrow(/malformed/);
    await expect(p.scrypt('x'.repeat(100_000), salt, 32, cheap())).resolves.toHaveLength(32);
    expect(p.stats()).toMatchObject({ crashes: 0, done: 1 });
  });

  it('a worker that cannot start fails the waiting jobs instead of leaving them hanging', async () => {
    const broken = join(tmp, 'broken-worker.mjs');
    await writeFile(broken, 'throw new Error("cannot start");\n');
    const p = pool({ workers: 1, maxQueue: 4, workerUrl: pathToFileURL(broken) });
    const jobs = await Promise.allSettled([1, 2].map((i) => p.scrypt(`pw${i}`, randomBytes(16), 32, cheap())));
    for (const j of jobs) expect(j.status === 'rejected' && j.reason).toBeInstanceOf(KdfWorkerError);
  });

  it('close() rejects queued and running jobs and refuses new ones', async () => {
    const p = new KdfPool({ workers: 1, maxQueue: 4 });
    const salt = randomBytes(16);
    const jobs = [1, 2, 3].map((i) => p.scrypt(`pw${i}`, salt, 32, cheap(1 << 14)));
    const outcomes = Promise.allSettled(jobs);
    await p.close();
    const settled = await outcomes;
    expect(settled.filter((s) => s.status === 'rejected').length).toBeGreaterThanOrEqual(2);
    await expect(p.scrypt('late', salt, 32, cheap())).rejects.toBeInstanceOf(KdfWorkerError);
  });
});
