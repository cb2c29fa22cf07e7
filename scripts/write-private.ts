/**
 * `node scripts/write-private.ts <file> < content`: writes standard input to <file> readable by this user only
 * (0600), replacing it atomically. The demo's client-policy.json carries a silent-enrollment token: on a shared
 * machine a 0644 file would hand that token to every local user (issue 10 item 11). The content comes on stdin,
 * never as an argument, because arguments are visible to every local user in ps.
 */
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writePrivate(file: string, content: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  // 'wx' with mode 0600: the temp file is new and private from its first byte (no window at the umask's mode).
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scripts/write-private.ts')) {
  const file = process.argv[2];
  if (!file || process.argv.length !== 3) {
    process.stderr.write('usage: node scripts/write-private.ts <file> < content\n');
    process.exit(2);
  }
  writePrivate(file, readFileSync(0, 'utf8'));
}
