/**
 * main.ts writes the BrowserWindow's webPreferences literally (issue 10 item 14, so Electronegativity and
 * reviewers see them at the call). The Electron binary cannot run here, so this parses main.ts with the
 * TypeScript compiler and checks that literal against policy.ts's WEB_PREFERENCES: no setting may drift.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { WEB_PREFERENCES } from './policy.ts';

function browserWindowPreferences(): Record<string, unknown>[] {
  const file = new URL('./main.ts', import.meta.url);
  const src = ts.createSourceFile('main.ts', readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Record<string, unknown>[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'BrowserWindow') {
      const opts = n.arguments?.[0];
      if (!opts || !ts.isObjectLiteralExpression(opts)) throw new Error('new BrowserWindow without an object literal');
      for (const p of opts.properties) {
        if (!ts.isPropertyAssignment(p) || p.name.getText(src) !== 'webPreferences') continue;
        if (!ts.isObjectLiteralExpression(p.initializer)) throw new Error('webPreferences is not an object literal');
        const out: Record<string, unknown> = {};
        for (const q of p.initializer.properties) {
          // A spread or shorthand would hide a value from scanners: refused outright.
          if (!ts.isPropertyAssignment(q)) throw new Error(`webPreferences member is not written out: ${q.getText(src)}`);
          const v = q.initializer;
          out[q.name.getText(src)] = v.kind === ts.SyntaxKind.TrueKeyword ? true : v.kind === ts.SyntaxKind.FalseKeyword ? false
            : ts.isStringLiteral(v) ? v.text : `<expr ${v.getText(src)}>`;
        }
        found.push(out);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return found;
}

describe('Electron shell main.ts', () => {
  it('writes every webPreference literally at the one BrowserWindow call, equal to the tested policy', () => {
    const prefs = browserWindowPreferences();
    expect(prefs).toHaveLength(1);
    const { preload, ...rest } = prefs[0]!;
    expect(preload).toBe('<expr PRELOAD>');
    expect(rest).toEqual({ ...WEB_PREFERENCES });
    expect(rest).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
  });
});
