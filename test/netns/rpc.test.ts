/**
 * The JSON-lines channel between the netns test and its drivers: garbage, truncated and oversized lines in
 * either direction are skipped (and kept for diagnostics) while the channel keeps serving; a driver's error
 * and a driver's exit reach the caller. Runs without root: the driver here is a plain child process.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild, type Child } from './rpc.ts';

const driver = `
import { serve } from ${JSON.stringify(path.join(import.meta.dirname, 'rpc.ts'))};
const emit = serve({
  echo: (a) => a,
  boom: () => { throw new Error('driver says no'); },
  noise: () => { process.stdout.write('not json\\n[1,2]\\n{"neither":"event nor reply"}\\n{"id":9999,"ok":true}\\n'); emit('tick', { n: 1 }); return 'ok'; },
  exit: () => { setImmediate(() => process.exit(3)); return 'bye'; },
});
`;

describe('netns test channel (rpc.ts)', () => {
  let c: Child;
  beforeAll(() => {
    c = startChild('fixture', process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', driver]);
  });
  afterAll(async () => { await c.stop(2_000); });

  it('round-trips calls, reports unknown calls and thrown errors, and keeps serving', async () => {
    expect(await c.call('echo', { a: [1, 'x'] })).toEqual({ a: [1, 'x'] });
    await expect(c.call('nope')).rejects.toThrow(/no such call nope/);
    await expect(c.call('constructor')).rejects.toThrow(/no such call constructor/);
    await expect(c.call('__proto__')).rejects.toThrow(/no such call __proto__/);
    await expect(c.call('boom')).rejects.toThrow(/driver says no/);
    expect(await c.call('echo', { still: true })).toEqual({ still: true });
  });

  it('skips garbage, truncated and oversized input lines on the driver side', async () => {
    const junk = ['', 'not json', '{"id":1,"call":"ec', '[]', 'null', '{"id":"7","call":"echo"}', '{"id":7,"call":42}', `{"id":8,"call":"echo","args":"${'x'.repeat(1_000_000)}`];
    for (const line of junk) c.proc.stdin!.write(`${line}\n`);
    c.proc.stdin!.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    expect(await c.call('echo', { after: 'junk' })).toEqual({ after: 'junk' });
  });

  it('keeps stray driver output for diagnostics without mistaking it for events or replies', async () => {
    expect(await c.call('noise')).toBe('ok');
    await c.until(() => c.of<{ n: number }>('tick').length === 1, 'the event');
    expect(c.events.map((e) => e.event)).toEqual(['tick']);
    expect(c.output()).toContain('not json');
    expect(c.output()).toContain('{"neither":"event nor reply"}');
  });

  it('a driver that exits fails the calls still waiting, and every later one', async () => {
    expect(await c.call('exit')).toBe('bye');
    await expect(c.until(() => false, 'nothing', 10_000)).rejects.toThrow(/fixture exited \(code 3/);
    await expect(c.call('echo')).rejects.toThrow(/fixture exited/);
  });
});
