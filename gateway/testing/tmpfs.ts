/**
 * A real, small tmpfs for disk-full tests (root only): mounted before the suite, unmounted after it — lazily if a
 * failed assertion left a handle open, so no mount outlives the run. Where mounting is refused the suite's tests
 * skip with the reason (`refused`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface SmallTmpfs {
  /** The mount point (valid once the suite's beforeAll ran). */
  readonly dir: string;
  readonly mounted: boolean;
  /** Why mounting failed, in the system's words. */
  readonly refused: string;
}

export function useSmallTmpfs(prefix: string, size = '1m'): SmallTmpfs {
  const state = { dir: '', mounted: false, refused: '' };
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), prefix));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', state.dir], { stdio: 'pipe' });
      state.mounted = true;
    } catch (e) {
      state.refused = String((e as { stderr?: Buffer }).stderr ?? e).trim();
    }
  });
  afterAll(async () => {
    if (state.mounted) { try { execFileSync('umount', [state.dir], { stdio: 'pipe' }); } catch { execFileSync('umount', ['-l', state.dir]); } }
    await rmdir(state.dir).catch(() => undefined);
  });
  return state;
}
