/**
 * Turns renderer/src/testing/fakeParley.ts into a classic script for page.addInitScript: Node strips the
 * (erasable) types, the `export`s go, and the result installs window.parley. UI-only tests use it until
 * (and besides) the browser preview with a real gateway.
 */
import { readFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { FakeOptions } from '../../renderer/src/testing/fakeParley.ts';

const SOURCE = path.resolve(import.meta.dirname, '../../renderer/src/testing/fakeParley.ts');

export async function fakeParleyScript(options: FakeOptions): Promise<string> {
  const ts = await readFile(SOURCE, 'utf8');
  const js = stripTypeScriptTypes(ts, { mode: 'strip' }).replace(/^export /gm, '');
  return `(() => {\n${js}\nconst fake = createFakeParley(${JSON.stringify(options)});\nwindow.parley = fake.api;\nwindow.__fake = fake.control;\n})();`;
}
