// The shipped QuickFIX XML dictionary of Parley's protocol (fix/interop/FIX44-Parley.xml): generated from
// fix/dictionary (the committed file is exactly the generator's output), and loaded into QuickFIX C++ (Debian's
// libquickfix), which accepts the gateway's Parley messages with it — and, with the stock FIX44.xml
// (../shared/fix/FIX44.xml), refuses them while accepting their plain FIX 4.4 form (service-plain-fix).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type Field } from '../codec.ts';
import { dictionaryFromXml } from '../dictionary/generate.ts';
import { MsgType, Tag } from '../dictionary/tags.ts';
import { logoutDecisionFields, MSG, parleyDictionary, PARLEY_EXTENSION, securityStatusFields, utcTimestamp } from '../parley-protocol.ts';
import { stepUpChallengeFields } from '../protocol/step-up.ts';
import { parleyDictionaryXml, SHIPPED_DICTIONARY } from './parley-dictionary.ts';
import { buildDictionaryCheck, quickfixAvailable } from './quickfix.ts';

const STOCK = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fix/FIX44.xml');
const missing = quickfixAvailable();

function wire(msgType: string, body: Field[], seq = 2): string {
  return encodeMessage('FIX.4.4', [
    { tag: Tag.MsgType, value: msgType }, { tag: Tag.MsgSeqNum, value: String(seq) }, { tag: Tag.SenderCompID, value: 'PARLEY' },
    { tag: Tag.SendingTime, value: utcTimestamp() }, { tag: Tag.TargetCompID, value: 'OMS1' }, ...body,
  ]).toString('latin1').replaceAll('\x01', '|');
}

/** Runs qf_dictcheck on `dictionary` with one message per line; its answers, read on 'close'. */
function check(program: string, dictionary: string, lines: string[]): Promise<string[]> {
  return new Promise((res, rej) => {
    const p = spawn(program, [dictionary]);
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.on('error', rej);
    p.on('close', () => res(out.split('\n').filter(Boolean)));
    p.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

const factors = [{ name: 'authentication', condition: 'machine identity', score: 0 }, { name: 'device', condition: 'no server posture', score: 25 }];
const parleyMessages = (): Record<string, string> => ({
  'Logon answer with the decision and factors': wire(MsgType.Logon, [
    { tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' },
    { tag: Tag.ParleyDecision, value: 'ALLOW' }, { tag: Tag.ParleyRiskScore, value: '25' },
    { tag: Tag.NoParleyFactors, value: '2' }, ...factors.flatMap((f) => [
      { tag: Tag.ParleyFactorName, value: f.name }, { tag: Tag.ParleyFactorCondition, value: f.condition }, { tag: Tag.ParleyFactorScore, value: String(f.score) }]),
    { tag: Tag.ParleySessionRole, value: 'Order Flow Engine' },
  ], 1),
  'refusing Logout with decision fields': wire(MsgType.Logout, [{ tag: Tag.Text, value: 'logon denied: x' }, ...logoutDecisionFields({ decision: 'deny', scope: 'logon', factors, score: 70, reason: 'x' })]),
  'ParleySecurityStatus': wire(MSG.SecurityStatus, securityStatusFields({ decision: 'allow', scope: 'logon', score: 25, factors, text: 'ok' })),
  'ParleyStepUpChallenge': wire(MSG.StepUpChallenge, stepUpChallengeFields({ challengeId: 'c1', methods: ['totp'], scope: 'logon', factors: [], expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3 })),
});

describe('the shipped Parley dictionary', () => {
  it('is exactly what fix/dictionary generates (regenerate: bash scripts/node.sh fix/interop/parley-dictionary.ts)', () => {
    expect(readFileSync(SHIPPED_DICTIONARY, 'utf8')).toBe(parleyDictionaryXml());
  });

  it('reads back as the dictionary fix/ validates with, every Parley field and message in it', () => {
    const src = dictionaryFromXml(readFileSync(SHIPPED_DICTIONARY, 'utf8'));
    expect(src).toEqual(parleyDictionary().source);
    for (const f of PARLEY_EXTENSION.fields ?? []) expect(src.fields.some((x) => x.tag === f.tag && x.name === f.name)).toBe(true);
    for (const m of PARLEY_EXTENSION.messages ?? []) expect(src.messages.some((x) => x.msgType === m.msgType)).toBe(true);
  });

  describe.skipIf(missing !== null)(`loaded into QuickFIX C++ (${missing ?? 'libquickfix'})`, () => {
    let program = '';
    beforeAll(() => { program = buildDictionaryCheck(); }, 120_000);

    it('QuickFIX loads it and accepts the gateway\'s Parley messages with it', async () => {
      const msgs = parleyMessages();
      const out = await check(program, SHIPPED_DICTIONARY, Object.values(msgs));
      expect(out[0]).toBe('LOADED');
      expect(Object.fromEntries(Object.keys(msgs).map((k, i) => [k, out[i + 1]]))).toEqual(Object.fromEntries(Object.keys(msgs).map((k) => [k, 'OK'])));
    });

    it('QuickFIX refuses garbage and truncated messages with it (and keeps going)', async () => {
      const good = parleyMessages()['ParleySecurityStatus']!;
      const out = await check(program, SHIPPED_DICTIONARY, ['garbage', good.slice(0, good.length / 2), good.replace('5002=ALLOW', '5002=MAYBE'), good]);
      expect(out[0]).toBe('LOADED');
      expect(out.slice(1, 4).every((l) => l.startsWith('INVALID'))).toBe(true);
      expect(out[4]).toBe('OK');
    });

    it.skipIf(!existsSync(STOCK))(`with the stock FIX44.xml: Parley messages are refused, their plain FIX 4.4 form accepted (${existsSync(STOCK) ? STOCK : '../shared/fix/FIX44.xml is absent'})`, async () => {
      const msgs = parleyMessages();
      const plainLogon = wire(MsgType.Logon, [{ tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' }], 1);
      const plainLogout = wire(MsgType.Logout, [{ tag: Tag.Text, value: 'logon denied: x' }]);
      const out = await check(program, STOCK, [...Object.values(msgs), plainLogon, plainLogout]);
      expect(out[0]).toBe('LOADED');
      expect(out.slice(1, 5).every((l) => l.startsWith('INVALID'))).toBe(true);
      expect(out.slice(5)).toEqual(['OK', 'OK']);
    });
  });
});
