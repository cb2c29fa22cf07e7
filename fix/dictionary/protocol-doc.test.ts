// docs/protocol.md lists every field and message of Parley's extension, as defined in parley-extension.ts
// (the one source): a tag or message added there without a line in the document fails here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { here } from './generate.ts';
import { PARLEY_EXTENSION } from './parley-extension.ts';

const doc = readFileSync(resolve(here, '../../docs/protocol.md'), 'utf8');

describe('docs/protocol.md', () => {
  it('has a row for every Parley tag: number, name and type', () => {
    for (const f of PARLEY_EXTENSION.fields ?? []) expect(doc, f.name).toContain(`| ${f.tag} | ${f.name} | ${f.type} |`);
  });
  it('has a row for every Parley message: MsgType and name', () => {
    for (const m of PARLEY_EXTENSION.messages ?? []) expect(doc, m.name).toContain(`| \`${m.msgType}\` | ${m.name} |`);
  });
});
