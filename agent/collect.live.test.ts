import { describe, expect, it } from 'vitest';
import { PostureAgent } from './collect.ts';
import { expectWellFormed } from './testing/well-formed.ts';

// Real tools on this machine (a Linux container: many of them are absent). Nothing is faked here.
describe.runIf(process.platform === 'linux')('live collection on this Linux machine', () => {
  it('every fact comes back pass, fail or unknown, with evidence; the agent then serves it from cache', async () => {
    const agent = new PostureAgent({ ttlMs: 3_600_000 });
    const r = await agent.get();
    expectWellFormed(r);
    expect(r.platform).toBe('linux');
    expect(r.os.kernel).not.toBe('');
    for (const f of r.facts) {
      const e = f.evidence;
      // Evidence names what was run or read, and either what was parsed or why nothing was.
      expect(e.command ?? e.source, `${f.id}: what was run or read`).toBeTruthy();
      if (f.status === 'unknown') expect(e.error ?? e.source, `${f.id}: why unknown`).toBeTruthy();
      else if (f.id !== 'agent.version') expect(e.parsed ?? e.source, `${f.id}: what was parsed`).toBeDefined();
    }
    expect(r.facts.find((f) => f.id === 'os.version')?.status).toBe('pass');
    expect(agent.current()).toBe(r);
    expect(await agent.get()).toBe(r);
  });
});
