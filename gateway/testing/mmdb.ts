/**
 * Test helper: builds a GeoIP2-Country-shaped .mmdb for the caller's own address ranges, with Debian's
 * libmaxmind-db-writer-perl (make-mmdb.pl beside this file).
 *
 * API
 *   buildMmdb(file, networks: Record<cidr, ISO country>): Promise<void>
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export function buildMmdb(file: string, networks: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('perl', [join(import.meta.dirname, 'make-mmdb.pl'), file], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`make-mmdb.pl exited ${code}: ${err.trim()}`))));
    p.stdin.end(JSON.stringify(networks));
  });
}
