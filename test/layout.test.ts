import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The design card's first promise: the layout and the two README commands exist.
describe('repository layout', () => {
  it('has every top-level part', () => {
    for (const p of ['package.json', 'tsconfig.json', 'electron-builder.yml', 'README.md', '.ci/run',
      'main', 'renderer', 'agent', 'build', 'test', 'fix', 'gateway', 'bench', 'docs']) {
      expect(existsSync(p), p).toBe(true);
    }
  });
  it('declares a Node engine of at least 22.12', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.engines.node).toBe('>=22.12.0');
  });
  it('CI runs the README test command', () => {
    expect(readFileSync('.ci/run', 'utf8')).toMatch(/npm test/);
    expect(readFileSync('README.md', 'utf8')).toMatch(/npm test/);
  });
});
