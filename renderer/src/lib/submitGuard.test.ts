import { describe, expect, it } from 'vitest';
import { SubmitGuard } from './submitGuard.ts';

describe('SubmitGuard', () => {
  it('runs an action once however often it is triggered while in flight', async () => {
    const guard = new SubmitGuard();
    let calls = 0;
    let release!: () => void;
    const action = () => new Promise<string>((resolve) => { calls += 1; release = () => resolve('filled'); });
    const a = guard.run('hit:Q1', action);
    const b = guard.run('hit:Q1', action);
    expect(guard.isBusy('hit:Q1')).toBe(true);
    release();
    expect(await a).toBe('filled');
    expect(await b).toBe('filled');
    expect(calls).toBe(1);
    expect(guard.run('hit:Q1', action)).toBeNull();
    expect(guard.isDone('hit:Q1')).toBe(true);
  });

  it('frees the key after a failure so the trader can retry', async () => {
    const guard = new SubmitGuard();
    await expect(guard.run('k', () => Promise.reject(new Error('gateway busy')))).rejects.toThrow('gateway busy');
    expect(guard.isBusy('k')).toBe(false);
    expect(await guard.run('k', () => Promise.resolve(1))).toBe(1);
  });

  it('keeps keys independent', async () => {
    const guard = new SubmitGuard();
    await guard.run('a', () => Promise.resolve(1));
    expect(guard.run('b', () => Promise.resolve(2))).not.toBeNull();
  });
});
