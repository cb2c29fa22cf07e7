import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A recorded tool output from agent/fixtures/<os>/<name>. */
export function fixture(name: string): string {
  return readFileSync(root + name, 'utf8');
}
