import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('scripts/write-private.ts (the demo client policy with its enrollment token, issue 10 item 11)', () => {
  it('writes stdin to a 0600 file, also over an existing world-readable one, leaving no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wpriv-'));
    const file = join(dir, 'client-policy.json');
    writeFileSync(file, '{"old":true}', { mode: 0o644 });
    const policy = JSON.stringify({ enrollmentToken: 'pet_not-a-real-token' });
    const r = spawnSync('bash', ['scripts/node.sh', 'scripts/write-private.ts', file], { input: policy, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(policy);
    expect(readdirSync(dir)).toEqual(['client-policy.json']);
    expect(spawnSync('bash', ['scripts/node.sh', 'scripts/write-private.ts'], { input: '', encoding: 'utf8' }).status).toBe(2);
  });

  it('is what npm start uses for client-policy.json', () => {
    // The demo writes the policy through the script (stdin), not with a plain redirection at the umask's mode.
    const start = readFileSync('scripts/start.sh', 'utf8');
    expect(start).toContain('scripts/write-private.ts "$demo/client-policy.json" <<EOF');
    expect(start).not.toContain('cat > "$demo/client-policy.json"');
  });
});
