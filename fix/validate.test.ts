import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checksum, decodeMessage, type FixMessage } from './codec.ts';
import { extendDictionary, fix44Dictionary } from './dictionary/dictionary.ts';
import { validateMessage, type SessionRejection, type ValidateOptions } from './validate.ts';

const dict = fix44Dictionary();
const NOW = '20261121-10:00:00.000';

/** Frames a message written with | for SOH (no 9/10), filling <TIME> like the acceptance runner does. */
function msg(body: string): FixMessage {
  const b = body.replaceAll('<TIME>', NOW).replaceAll('|', '\x01');
  const begin = b.startsWith('8=') ? b.slice(0, b.indexOf('\x01') + 1) : '8=FIX.4.4\x01';
  const rest = b.startsWith('8=') ? b.slice(begin.length) : b;
  const head = `${begin}9=${rest.length}\x01`;
  const sum = checksum(Buffer.from(head + rest, 'latin1'));
  return decodeMessage(Buffer.from(`${head}${rest}10=${String(sum).padStart(3, '0')}\x01`, 'latin1'));
}

function check(body: string, opts?: ValidateOptions): SessionRejection | null {
  return validateMessage(msg(body), dict, opts);
}

const H = '34=2|49=TW44|52=<TIME>|56=ISLD|';

describe('validateMessage — the 14a–14i session rejects', () => {
  it('accepts well-formed messages', () => {
    expect(check(`35=0|${H}`)).toBeNull();
    expect(check(`35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=2|`)).toBeNull();
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|38=002000.00|55=INTC|60=<TIME>|167=CS|`)).toBeNull();
  });

  it('14a invalid tag number → 0', () => {
    for (const tag of ['999', '0', '-1', '5000']) {
      expect(check(`35=0|${H}${tag}=HI|`)).toEqual({ reason: 0, refTagId: Number(tag), text: 'Invalid tag number' });
    }
  });

  it('14b required tag missing → 1 (header and body)', () => {
    expect(check('35=0|34=2|49=TW44|52=<TIME>|')).toEqual({ reason: 1, refTagId: 56, text: 'Required tag missing' });
    expect(check('35=D|49=TW44|34=3|56=ISLD|52=<TIME>|40=1|60=<TIME>|54=1|21=3|')).toMatchObject({ reason: 1, refTagId: 11 });
  });

  it('14c tag not defined for this message type → 2', () => {
    expect(check(`35=0|${H}55=MSFT|`)).toEqual({ reason: 2, refTagId: 55, text: 'Tag not defined for this message type' });
  });

  it('14d tag specified without a value → 4, unless that check is off', () => {
    expect(check('35=0|34=2|49=TW44|52=<TIME>|56=|')).toEqual({ reason: 4, refTagId: 56, text: 'Tag specified without a value' });
    expect(check(`35=D|34=2|49=TW44|52=<TIME>|56=ISLD|115=|11=ID|21=3|38=100|40=1|54=1|55=INTC|60=<TIME>|`)).toMatchObject({ reason: 4, refTagId: 115 });
    expect(check('35=0|34=2|49=TW44|52=<TIME>|56=|', { checkFieldsHaveValues: false })).toBeNull();
  });

  it('14e value incorrect for the tag → 5', () => {
    expect(check(`35=D|${H}11=ID|21=4|40=1|54=1|38=002000.00|55=INTC|60=<TIME>|`)).toEqual({
      reason: 5, refTagId: 21, text: 'Value is incorrect (out of range) for this tag',
    });
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|38=002000.00|55=INTC|60=<TIME>|167=BOO|`)).toMatchObject({ reason: 5, refTagId: 167 });
  });

  it('14f incorrect data format → 6', () => {
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|38=+200.00|55=INTC|60=<TIME>|`)).toEqual({
      reason: 6, refTagId: 38, text: 'Incorrect data format for value',
    });
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|38=1e5|55=INTC|60=<TIME>|`)).toMatchObject({ reason: 6, refTagId: 38 });
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|55=INTC|60=2026-11-21|`)).toMatchObject({ reason: 6, refTagId: 60 });
    expect(check(`35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=x|`)).toMatchObject({ reason: 6, refTagId: 108 });
    expect(check(`35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=2|141=X|`)).toMatchObject({ reason: 6, refTagId: 141 });
    expect(check(`35=D|${H}11=ID|21=1|40=12|54=1|55=INTC|60=<TIME>|`)).toMatchObject({ reason: 6, refTagId: 40 });
  });

  it('14g header/body/trailer out of order → 14', () => {
    expect(check('35=D|11=id|21=3|40=1|54=1|55=MSFT|60=<TIME>|34=2|49=TW44|52=<TIME>|56=ISLD|')).toEqual({
      reason: 14, refTagId: 34, text: 'Tag specified out of required order',
    });
    expect(check('35=D|55=MSFT|34=3|49=TW44|52=<TIME>|56=ISLD|11=id|21=3|40=1|54=1|60=<TIME>|')).toMatchObject({ reason: 14, refTagId: 34 });
    expect(check(`35=0|${H}93=3|89=abc|112=X|`)).toMatchObject({ reason: 14, refTagId: 112 });
  });

  it('15: header and body fields in a different order inside their sections are fine', () => {
    expect(check('35=D|49=TW44|34=3|56=ISLD|52=<TIME>|40=1|55=MSFT|60=<TIME>|54=1|21=3|11=id|')).toBeNull();
  });

  it('14h a tag outside a repeating group appears twice → 13', () => {
    expect(check(`35=D|${H}11=ID|21=1|40=1|40=2|54=1|38=200.00|55=INTC|60=<TIME>|`)).toEqual({
      reason: 13, refTagId: 40, text: 'Tag appears more than once',
    });
    expect(check('35=0|34=2|49=TW44|49=TW44|52=<TIME>|56=ISLD|')).toMatchObject({ reason: 13, refTagId: 49 });
  });

  it('14i NumInGroup count not matching the instances → 16', () => {
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|38=200.00|55=INTC|386=3|336=PRE-OPEN|336=AFTER-HOURS|60=<TIME>|`)).toEqual({
      reason: 16, refTagId: 386, text: 'Incorrect NumInGroup count for repeating group',
    });
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|55=INTC|386=1|336=A|336=B|60=<TIME>|`)).toMatchObject({ reason: 16, refTagId: 386 });
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|55=INTC|386=2|336=A|336=B|60=<TIME>|`)).toBeNull();
    expect(check(`35=D|${H}11=ID|21=1|40=1|54=1|55=INTC|386=x|60=<TIME>|`)).toMatchObject({ reason: 6, refTagId: 386 });
  });

  it('21: a repeating group specifier of zero is fine', () => {
    expect(check('35=d|34=2|49=TW44|56=ISLD|52=<TIME>|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=CS|336=ONE_MAIN|58=No Products found for this Class Symbol|454=0|')).toBeNull();
  });

  it('2q invalid MsgType → 11 without RefTagID', () => {
    expect(check(`35=*|${H}`)).toEqual({ reason: 11, text: 'Invalid MsgType' });
  });

  it('group members: nested groups, required members, delimiter first', () => {
    const qr = `35=R|${H}131=Q1|146=2|55=EUR/USD|54=1|38=1000000|453=1|448=ME|447=D|452=3|55=GBP/USD|38=5|`;
    expect(check(qr)).toBeNull();
    // A member before the delimiter.
    expect(check(`35=R|${H}131=Q1|146=1|54=1|55=EUR/USD|`)).toMatchObject({ reason: 15, refTagId: 54 });
    // A member of the group outside it: not defined for the message at top level.
    expect(check(`35=R|${H}131=Q1|146=1|55=EUR/USD|58=hi|54=1|`)).toMatchObject({ reason: 2, refTagId: 54 });
    // A required group itself missing.
    expect(check(`35=R|${H}131=Q1|`)).toMatchObject({ reason: 1, refTagId: 146 });
    // A required member missing inside an instance (NoSides: Side and OrderID are required).
    const ae = `35=AE|${H}571=T1|570=N|55=EUR/USD|32=1|31=1.1|75=20261121|60=<TIME>|552=1|54=1|`;
    expect(check(ae)).toMatchObject({ reason: 1, refTagId: 37 });
    expect(check(ae.replace('54=1|', '54=1|37=O1|'))).toBeNull();
  });

  it('options: user-defined fields, unknown message fields, order checks, value checks', () => {
    expect(check(`35=0|${H}5000=HI|`, { checkUserDefinedFields: false })).toBeNull();
    expect(check(`35=0|${H}999=HI|`, { checkUserDefinedFields: false })).toMatchObject({ reason: 0 });
    expect(check(`35=0|${H}55=MSFT|`, { allowUnknownMessageFields: true })).toBeNull();
    expect(check('35=D|11=id|21=3|40=1|54=1|55=MSFT|60=<TIME>|34=2|49=TW44|52=<TIME>|56=ISLD|', { checkFieldsOutOfOrder: false })).toBeNull();
    expect(check(`35=D|${H}11=ID|21=4|40=1|54=1|55=INTC|60=<TIME>|`, { checkFieldValues: false })).toBeNull();
    expect(check('35=0|34=2|49=TW44|52=<TIME>|', { checkRequiredFields: false })).toBeNull();
  });

  it('validates a message built from fields, not only decoded ones', async () => {
    const { FixMessage } = await import('./codec.ts');
    const m = new FixMessage([
      { tag: 8, value: 'FIX.4.4' }, { tag: 9, value: '0' }, { tag: 35, value: '0' }, { tag: 34, value: '2' },
      { tag: 49, value: 'A' }, { tag: 52, value: NOW }, { tag: 56, value: 'B' }, { tag: 999, value: 'x' }, { tag: 10, value: '000' },
    ]);
    expect(validateMessage(m, dict)).toMatchObject({ reason: 0, refTagId: 999 });
  });

  it('an extended dictionary accepts Parley user-defined tags and U messages', () => {
    const ext = extendDictionary(dict, {
      fields: [{ tag: 5001, name: 'ParleyPolicyID', type: 'STRING' }, { tag: 5002, name: 'ParleyScore', type: 'INT' }],
      messages: [{ msgType: 'U1', name: 'ParleyPing', category: 'app', items: [{ f: 5001, r: true }, { f: 5002, r: false }] }],
      messageItems: [{ msgType: 'R', items: [{ f: 5001, r: false }] }],
    });
    expect(validateMessage(msg(`35=U1|${H}5001=P|5002=3|`), ext)).toBeNull();
    expect(validateMessage(msg(`35=U1|${H}5002=3|`), ext)).toMatchObject({ reason: 1, refTagId: 5001 });
    expect(validateMessage(msg(`35=U1|${H}5001=P|5002=x|`), ext)).toMatchObject({ reason: 6, refTagId: 5002 });
    expect(validateMessage(msg(`35=R|${H}131=Q|146=1|55=X|5001=P|`), ext)).toBeNull();
    // The base dictionary is unchanged.
    expect(validateMessage(msg(`35=U1|${H}5001=P|`), dict)).toMatchObject({ reason: 11 });
  });

  it('garbage values never throw', () => {
    const weird = ['', ' ', '-', '.', '-.', '1.2.3', '99999999999999999999', 'é', '\x7f', '2026112-10:00:00', '20261321-10:00:00', '20261121-25:00:00', '20261121-10:00:00.', '20261121-10:00:00.1234567890'];
    for (const v of weird) {
      for (const tag of [38, 60, 108, 141, 54, 64, 200, 146, 21]) {
        const r = check(`35=D|${H}11=ID|21=1|40=1|54=1|55=INTC|60=<TIME>|${tag}=${v}|`);
        if (r !== null) expect(typeof r.reason).toBe('number');
      }
    }
  });
});

// The QuickFIX acceptance definitions themselves, when ../shared is present: every Reject(3) a definition
// expects right after a message it sends must be what validateMessage returns for that message.
const here = dirname(fileURLToPath(import.meta.url));
const defsDir = resolve(here, '../../shared/fix/acceptance/fix44');
const DEFS = ['14a_BadField', '14b_RequiredFieldMissing', '14c_TagNotDefinedForMsgType', '14d_TagSpecifiedWithoutValue',
  '14e_IncorrectEnumValue', '14f_IncorrectDataFormat', '14g_HeaderBodyTrailerFieldsOutOfOrder', '14h_RepeatedTag',
  '14i_RepeatingGroupCountNotEqual', '15_HeaderAndBodyFieldsOrderedDifferently', '21_RepeatingGroupSpecifierWithValueOfZero',
  '2q_MsgTypeNotValid', 'ReverseRouteWithEmptyRoutingTags'];

describe.skipIf(!existsSync(defsDir))('acceptance definitions (../shared/fix/acceptance/fix44)', () => {
  it.each(DEFS)('%s: expected rejects match', (name) => {
    const lines = readFileSync(resolve(defsDir, `${name}.def`), 'latin1').split(/\r?\n/);
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line.startsWith('I8=')) continue;
      const next = lines.slice(i + 1).find((l) => l.startsWith('I') || l.startsWith('E'));
      const body = line.slice(1).replaceAll('\x01', '|').replace(/<TIME[+-]?\d*>/g, '<TIME>');
      const m = msg(body.endsWith('|') ? body : `${body}|`);
      if (m.msgType === 'A' || m.msgType === '5') continue; // logon/logout: session logic, not validation
      const got = validateMessage(m, dict);
      if (next?.startsWith('E') && next.includes('\x0135=3\x01')) {
        const exp = Object.fromEntries(next.slice(1).split('\x01').filter(Boolean).map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
        expect(got, `${name}: ${body}`).not.toBeNull();
        expect(got!.reason, body).toBe(Number(exp['373']));
        expect(got!.refTagId, body).toBe(exp['371'] === undefined ? undefined : Number(exp['371']));
        expect(got!.text, body).toBe(exp['58']);
      } else {
        expect(got, `${name}: ${body}`).toBeNull();
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
