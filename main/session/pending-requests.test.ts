/**
 * PendingRequests: each request settles exactly once — by its answer, its timeout or a dropped connection —
 * and the table stays bounded. Fake timers stand in for the clock (the order of events is asserted, not speed).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../ipc/contract.ts';
import { PendingRequests } from './pending-requests.ts';

describe('PendingRequests', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('settles with the answer once; a second answer and the timeout are no-ops', async () => {
    const p = new PendingRequests<string>();
    const r = p.open('A', { timeoutMs: 1_000, onTimeout: () => 'timed out' });
    expect(p.has('A')).toBe(true);
    expect(p.resolve('A', 'first')).toBe(true);
    expect(p.resolve('A', 'second')).toBe(false);
    expect(p.reject('A', new Error('late'))).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    await expect(r).resolves.toBe('first');
    expect(p.size).toBe(0);
  });

  it('times out with a value or an Error; a late answer then does nothing', async () => {
    const p = new PendingRequests<string>();
    const value = p.open('V', { timeoutMs: 1_000, onTimeout: () => 'submitted' });
    const error = p.open('E', { timeoutMs: 2_000, onTimeout: () => new ParleyError('timeout', 'no answer') });
    const thrown = p.open('T', { timeoutMs: 2_000, onTimeout: () => { throw new Error('broken timeout handler'); } });
    const caught = [expect(error).rejects.toMatchObject({ code: 'timeout' }), expect(thrown).rejects.toThrow('broken timeout handler')];
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(value).resolves.toBe('submitted');
    expect(p.has('E')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(caught);
    expect(p.resolve('E', 'late')).toBe(false);
    expect(p.size).toBe(0);
  });

  it('a dropped connection settles every request with its reason, each once', async () => {
    const p = new PendingRequests<string, { n: number }>();
    const a = p.open('A', { timeoutMs: 10_000, onTimeout: () => 'timeout', state: { n: 1 } });
    const b = p.open('B', { timeoutMs: 10_000, onTimeout: () => 'timeout', state: { n: 2 } });
    expect(p.state('B')).toEqual({ n: 2 });
    const seen: string[] = [];
    const n = p.settleAll((id, st) => {
      seen.push(id);
      return st!.n === 1 ? 'dropped: resubmit after reconnecting' : new ParleyError('not-connected', 'the connection dropped');
    });
    expect(n).toBe(2);
    expect(seen.sort()).toEqual(['A', 'B']);
    await expect(a).resolves.toBe('dropped: resubmit after reconnecting');
    await expect(b).rejects.toMatchObject({ code: 'not-connected', message: 'the connection dropped' });
    expect(p.size).toBe(0);
    expect(p.state('A')).toBeUndefined();
    // Neither the timers nor late answers settle them again.
    expect(p.resolve('A', 'late')).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(p.settleAll(() => 'again')).toBe(0);
  });

  it('is bounded, and one id waits once', async () => {
    const p = new PendingRequests<number>(2);
    const first = p.open('1', { timeoutMs: 1_000, onTimeout: () => 0 });
    void p.open('2', { timeoutMs: 1_000, onTimeout: () => 0 });
    await expect(p.open('3', { timeoutMs: 1_000, onTimeout: () => 0 })).rejects.toMatchObject({ code: 'conflict' });
    p.resolve('2', 2);
    await expect(p.open('1', { timeoutMs: 1_000, onTimeout: () => 0 })).rejects.toMatchObject({ code: 'conflict' });
    expect(p.resolve('1', 1)).toBe(true);
    await expect(first).resolves.toBe(1);
    expect(p.ids()).toEqual([]);
  });
});
