// The 59 QuickFIX FIX 4.4 acceptor definitions from ../shared, played over mutual TLS against the fix/
// acceptor. Exceptions (definitions argued to be wrong for FIX 4.4) are listed with their reasons in
// docs/conformance.md between <!-- exceptions --> markers; exactly those may fail — today none.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFINITIONS_DIR, listDefinitions, runSuite, suitePki, type DefResult, type SuiteTls } from './suite.ts';
import { matchMessage, parseDefinition, prepareOutgoing } from './runner.ts';

function documentedExceptions(): string[] {
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../docs/conformance.md'), 'utf8');
  const block = /<!-- exceptions -->([\s\S]*?)<!-- \/exceptions -->/.exec(doc);
  if (!block) throw new Error('docs/conformance.md lost its <!-- exceptions --> block');
  return block[1]!.split('\n').map((l) => /^- `?([^`:\s]+\.def)`?:\s*\S/.exec(l.trim())?.[1]).filter((n): n is string => !!n).sort();
}
const EXCEPTIONS = documentedExceptions();
const present = existsSync(DEFINITIONS_DIR);

describe('acceptance runner', () => {
  it('fills BodyLength and CheckSum only when absent and keeps deliberate bad ones', () => {
    const m = prepareOutgoing('8=FIX.4.4\x0135=0\x0134=2\x0149=A\x0152=20240101-00:00:00\x0156=B\x01').toString('latin1');
    expect(m).toMatch(/^8=FIX\.4\.4\x019=\d+\x0135=0\x01.*\x0110=\d{3}\x01$/);
    const bad = prepareOutgoing('8=FIX.4.4\x0135=0\x0110=256\x01').toString('latin1');
    expect(bad.endsWith('\x0110=256\x01')).toBe(true);
    expect(prepareOutgoing('8=FIX.4.4\x019=40\x0135=A\x01').toString('latin1')).toMatch(/^8=FIX\.4\.4\x019=40\x0135=A\x0110=\d{3}\x01$/);
  });
  it('matches values exactly, times by format, and refuses extra fields', () => {
    const exp = '8=FIX.4.4\x0135=0\x0134=2\x0152=00000000-00:00:00.000\x01112=HI\x01';
    const ok = '8=FIX.4.4\x019=1\x0135=0\x0134=2\x0152=20240101-10:00:00.123\x01112=HI\x0110=000\x01';
    expect(matchMessage(exp, ok)).toBeNull();
    expect(matchMessage(exp, ok.replace('112=HI', '112=HO'))).toMatch(/112/);
    expect(matchMessage(exp, ok.replace('20240101-10:00:00.123', 'yesterday'))).toMatch(/52/);
    expect(matchMessage(exp, ok.replace('\x0110=', '\x0158=x\x0110='))).toMatch(/unexpected field 58/);
  });
  it('refuses a definition line it cannot read', () => {
    expect(() => parseDefinition('XNOPE')).toThrow(/cannot read/);
    expect(parseDefinition('# c\n\ni2,CONNECT\nI2,8=FIX.4.4\x01\ne2,DISCONNECT').map((s) => [s.kind, s.conn])).toEqual([
      ['connect', 2], ['send', 2], ['expectDisconnect', 2],
    ]);
  });
});

describe.skipIf(!present)('QuickFIX FIX 4.4 acceptance definitions over mutual TLS', () => {
  let tls: SuiteTls;
  let cleanup = (): void => undefined;
  let results: DefResult[] = [];
  beforeAll(async () => {
    const p = await suitePki();
    tls = p.tls;
    cleanup = p.cleanup;
    results = await runSuite({ tls, concurrency: 4 });
  }, 180_000);
  afterAll(() => cleanup());

  it('finds all 59 definitions, and every documented exception names one of them', () => {
    for (const e of EXCEPTIONS) expect(listDefinitions()).toContain(e);
    expect(listDefinitions()).toHaveLength(59);
  });
  it('passes every definition except the documented exceptions', () => {
    const failed = results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.error}`);
    expect(failed.filter((f) => !EXCEPTIONS.some((e) => f.startsWith(`${e}:`)))).toEqual([]);
    expect(results.filter((r) => !r.ok).map((r) => r.name)).toEqual(EXCEPTIONS);
  });
});

describe.skipIf(!present)('the same engine over plain TCP (the definitions\' own transport)', () => {
  it('passes a sample of definitions without TLS', async () => {
    const names = ['1a_ValidLogonWithCorrectMsgSeqNum.def', '2b_MsgSeqNumTooHigh.def', '8_AdminAndApplicationMessages.def', '14g_HeaderBodyTrailerFieldsOutOfOrder.def'];
    const r = await runSuite({ names, concurrency: 2 });
    expect(r.filter((x) => !x.ok)).toEqual([]);
  });
});

if (!present) {
  describe('QuickFIX FIX 4.4 acceptance definitions', () => {
    it.skip(`skipped: ${DEFINITIONS_DIR} is absent (the definitions live in ../shared, outside this repository)`, () => undefined);
  });
}
