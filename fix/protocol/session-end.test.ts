/**
 * The structured end of a session (ParleyEndedBy / ParleyEndDetail / ParleyNextStep) on a Logout and a UB
 * ENDED: written, encoded, decoded and read back through the real codec and the extended dictionary; and the
 * reader against hostile values (unknown actor or step, control characters, oversized detail).
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FixMessage, type Field } from '../codec.ts';
import { MsgType, Tag } from '../dictionary/tags.ts';
import { parleyDictionary } from '../parley-protocol.ts';
import { validateMessage } from '../validate.ts';
import { logoutDecisionFields, readLogoutDecision, readSecurityStatus, readSessionEnd, securityStatusFields } from './index.ts';

const header = (type: string): Field[] => [
  { tag: Tag.MsgType, value: type }, { tag: Tag.SenderCompID, value: 'PARLEY' }, { tag: Tag.TargetCompID, value: 'C1' },
  { tag: Tag.MsgSeqNum, value: '2' }, { tag: Tag.SendingTime, value: '20261203-10:00:00.000' },
];
const wire = (type: string, body: Field[]): FixMessage => decodeMessage(encodeMessage('FIX.4.4', [...header(type), ...body]));
const msg = (type: string, body: Field[]) => new FixMessage([{ tag: Tag.MsgType, value: type }, ...body]);

describe('session end signal', () => {
  it('round-trips on a Logout with the decision, and the dictionary knows every field', () => {
    const fields = logoutDecisionFields({
      decision: 'ended', scope: 'policy', score: 12, factors: [], reason: 'suspicious activity',
      end: { by: 'it', detail: 'suspicious activity', next: 'sign-in' },
    });
    const m = wire(MsgType.Logout, fields);
    expect(validateMessage(m, parleyDictionary())).toBeNull();
    expect(readLogoutDecision(m)).toEqual({
      decision: 'ended', scope: 'policy', score: 12, factors: [], reason: 'suspicious activity',
      end: { by: 'it', detail: 'suspicious activity', next: 'sign-in' },
    });
  });

  it('round-trips on a UB ENDED, for each actor', () => {
    for (const by of ['it', 'policy', 'posture', 'revocation', 'step-up', 'shutdown', 'network'] as const) {
      const m = wire(MsgType.ParleySecurityStatus, securityStatusFields({ decision: 'ended', scope: 'revocation', factors: [], end: { by, next: 'enroll' } }));
      expect(validateMessage(m, parleyDictionary())).toBeNull();
      expect(readSecurityStatus(m).end).toEqual({ by, next: 'enroll' });
    }
  });

  it('a Logout without the fields (another peer, an older gateway) has no end', () => {
    expect(readLogoutDecision(msg(MsgType.Logout, logoutDecisionFields({ decision: 'ended', scope: 'policy', factors: [] })))?.end).toBeUndefined();
    expect(readSessionEnd(msg(MsgType.Logout, []))).toBeUndefined();
  });

  it('refuses unknown actors, drops unknown next steps, and cleans and bounds the detail', () => {
    const read = (by: string, next?: string, detail?: string) => readSessionEnd(msg(MsgType.Logout, [
      { tag: Tag.ParleyEndedBy, value: by },
      ...(next !== undefined ? [{ tag: Tag.ParleyNextStep, value: next }] : []),
      ...(detail !== undefined ? [{ tag: Tag.ParleyEndDetail, value: detail }] : []),
    ]));
    for (const bad of ['', 'it', 'IT ', 'ADMIN', '__proto__', 'constructor', 'toString', 'A'.repeat(100_000)]) expect(read(bad), bad).toBeUndefined();
    expect(read('IT', 'REBOOT')).toEqual({ by: 'it' });
    expect(read('IT', '__proto__')).toEqual({ by: 'it' });
    expect(read('IT', 'SIGN_IN', '\x00bad\x7f\u{1F600}')).toEqual({ by: 'it', next: 'sign-in', detail: ' bad ??' });
    expect(read('REVOCATION', 'ENROLL', 'x'.repeat(1_000_000))?.detail).toHaveLength(200);
    expect(read('SHUTDOWN', 'RECONNECT', '')).toEqual({ by: 'shutdown', next: 'reconnect' });
  });

  it('the writer bounds what it is given too', () => {
    const f = logoutDecisionFields({ decision: 'ended', scope: 'policy', factors: [], end: { by: 'it', detail: `a\x01b${'c'.repeat(5_000)}` } });
    const detail = f.find((x) => x.tag === Tag.ParleyEndDetail)!.value;
    expect(detail.length).toBe(200);
    expect(detail.startsWith('a b')).toBe(true);
  });
});
