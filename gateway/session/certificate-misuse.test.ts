/**
 * Issue 11 item 7, against a real gateway over mutual TLS: a certificate presented for a SenderCompID it is not
 * bound to is refused AND raises an alert; the refusal says nothing about the session named (whether it exists,
 * is logged on, or its sequence numbers), and neither does a refusal after the gateway's own checks (a wrong
 * password on the right certificate while the session is live). The live session keeps being served.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Peer } from '../../fix/acceptance/runner.ts';
import { decodeMessage, encodeMessage, type FixMessage } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { utcTimestamp } from '../../fix/protocol/time.ts';
import { loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob'] });
});
afterAll(async () => { await t?.close(); });

type AuditLine = { type: string; data: Record<string, unknown> };
function auditLines(): AuditLine[] {
  return readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}
async function until<T>(f: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const rfq = (id: string) => [
  { tag: Tag.QuoteReqID, value: id }, { tag: Tag.NoRelatedSym, value: '1' }, { tag: Tag.Symbol, value: 'US912828ZT0' },
  { tag: Tag.Side, value: '1' }, { tag: Tag.OrderQty, value: '1000000' },
];

/** A raw Logon over real TLS with `owner`'s certificate, claiming SenderCompID `compId`; the whole answer. */
async function rawLogon(owner: string, compId: string): Promise<{ answers: FixMessage[]; closed: boolean }> {
  const leaf = t.pki.clients[owner]!.ec;
  const sock = tls.connect({ host: '127.0.0.1', port: t.gw.fixPort, key: leaf.keyPem, cert: leaf.certPem, ca: t.pki.caCertPem, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => { sock.once('secureConnect', () => resolve()); sock.once('error', reject); });
  const peer = new Peer(sock);
  peer.write(encodeMessage('FIX.4.4', [
    { tag: Tag.MsgType, value: MsgType.Logon }, { tag: Tag.MsgSeqNum, value: '1' }, { tag: Tag.SenderCompID, value: compId },
    { tag: Tag.SendingTime, value: utcTimestamp() }, { tag: Tag.TargetCompID, value: t.gw.cfg.fix.compId },
    { tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' },
    { tag: Tag.Username, value: 'bob' }, { tag: Tag.Password, value: 'bob-pw-1' },
  ]));
  const answers: FixMessage[] = [];
  try {
    for (;;) {
      const m = await peer.next(20_000);
      if (m === 'closed') return { answers, closed: true };
      if (m === 'timeout') return { answers, closed: false };
      answers.push(decodeMessage(Buffer.from(m, 'latin1')));
    }
  } finally {
    peer.close();
  }
}

describe('a certificate used for another CompID', () => {
  it('is refused with a Logout that shows none of the live session\'s state, raises an alert, and the live session is untouched', async () => {
    const alice = await loggedIn(t, 'alice');
    try {
      // Move alice's numbers well past 1 so a leak would show.
      for (let i = 0; i < 3; i++) {
        alice.send(MsgType.QuoteRequest, rfq(`CM-${i}`));
        await alice.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === `CM-${i}`);
      }
      const liveNext = alice.fix.config!.store.getNextTargetSeqNum();
      expect(liveNext).toBeGreaterThan(5);

      const { answers, closed } = await rawLogon('BOB', 'ALICE');
      expect(closed).toBe(true);
      expect(answers).toHaveLength(1);
      const lo = answers[0]!;
      expect(lo.msgType).toBe(MsgType.Logout);
      expect(lo.get(Tag.MsgSeqNum)).toBe('1');
      expect(lo.get(Tag.Text)).toBe('certificate is not authorised for SenderCompID ALICE');
      // Header, Text and trailer only: no decision fields, nothing else.
      expect(lo.fields.map((f) => f.tag).filter((tag) => ![8, 9, 10, 34, 35, 49, 52, 56, 58].includes(tag))).toEqual([]);
      expect([lo.get(Tag.SenderCompID), lo.get(Tag.TargetCompID)]).toEqual([t.gw.cfg.fix.compId, 'ALICE']);

      const bobSerial = t.pki.clients.BOB!.ec.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
      const alert = await until(() => auditLines().find((l) => l.type === 'alert' && l.data.kind === 'logon.certificate-misuse' && l.data.compId === 'ALICE'), 'the alert');
      expect(alert.data).toMatchObject({ serial: bobSerial, certificateCompIds: ['BOB'] });
      await until(() => auditLines().find((l) => l.type === 'logon.denied' && l.data.compId === 'ALICE' && l.data.serial === bobSerial), 'the audited refusal');

      // The live session did not move and still trades.
      expect(alice.fix.state).toBe('active');
      alice.send(MsgType.QuoteRequest, rfq('CM-after'));
      await alice.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'CM-after');
    } finally {
      await alice.close();
    }
  });

  it('for a CompID that names no session: dropped without an answer (FIX 4.4 acceptance 1c), alerted all the same', async () => {
    const none = await rawLogon('BOB', 'NOBODY');
    expect(none).toEqual({ answers: [], closed: true });
    await until(() => auditLines().find((l) => l.type === 'alert' && l.data.kind === 'logon.certificate-misuse' && l.data.compId === 'NOBODY'), 'the alert for NOBODY');
  });

  it('a refusal by the gateway (right certificate, wrong password, session live) carries MsgSeqNum 1, not the session\'s next', async () => {
    const alice = await loggedIn(t, 'alice');
    try {
      alice.send(MsgType.QuoteRequest, rfq('CM-pw'));
      await alice.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'CM-pw');
      const wrong = await t.connect('alice', { password: 'not-alices' });
      await wrong.closed();
      expect(wrong.logoutMessage?.get(Tag.Text)).toMatch(/^logon denied: /);
      expect(wrong.logoutMessage?.seqNum).toBe(1);
      expect(alice.fix.state).toBe('active');
      alice.send(MsgType.QuoteRequest, rfq('CM-pw-after'));
      await alice.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'CM-pw-after');
    } finally {
      await alice.close();
    }
  });

  it('hostile SenderCompIDs (empty, oversized, control bytes) are refused or dropped without an answer that names a session', async () => {
    for (const compId of ['', 'A'.repeat(5_000), 'ALI\x7fCE', '=ALICE']) {
      const r = await rawLogon('BOB', compId);
      expect(r.closed).toBe(true);
      for (const m of r.answers) {
        expect(m.msgType).toBe(MsgType.Logout);
        expect(m.get(Tag.MsgSeqNum)).toBe('1');
      }
    }
    // Still serving.
    const bob = await loggedIn(t, 'bob');
    await bob.close();
  });
});
