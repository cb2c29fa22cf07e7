import type { FixMessage } from '../codec.ts';

/** At most this many instances of a repeating group are read, whatever its NumInGroup claims. */
export const MAX_GROUP_INSTANCES = 1000;

/**
 * Reads a repeating group whose instances start with `first`; each instance collects the listed tags. A
 * NumInGroup that lies (too big, not a number) never makes it read more than what follows, nor more than
 * MAX_GROUP_INSTANCES.
 */
export function readGroup(msg: FixMessage, countTag: number, first: number, tags: readonly number[]): Map<number, string>[] {
  const at = msg.indexOf(countTag);
  if (at < 0) return [];
  const n = Math.min(Number(msg.valueAt(at)) || 0, MAX_GROUP_INSTANCES);
  const out: Map<number, string>[] = [];
  const allowed = new Set(tags);
  for (let i = at + 1; i < msg.size && out.length <= n; i++) {
    const tag = msg.tagAt(i);
    if (tag === first) {
      if (out.length === n) break;
      out.push(new Map([[tag, msg.valueAt(i)]]));
    } else if (allowed.has(tag) && out.length > 0) {
      out[out.length - 1]!.set(tag, msg.valueAt(i));
    } else if (out.length > 0) {
      break;
    }
  }
  return out;
}
