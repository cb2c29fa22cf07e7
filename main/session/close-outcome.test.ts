/**
 * How a closed session is read: from the Logout's structured decision only. The same human Text with different
 * decision fields gives different outcomes, and Text alone never makes a revocation.
 */
import { describe, expect, it } from 'vitest';
import type { LogoutDecision } from '../../fix/parley-protocol.ts';
import { closeOutcome } from './close-outcome.ts';

const d = (x: Partial<LogoutDecision>): LogoutDecision => ({ decision: 'deny', scope: 'logon', factors: [], ...x });

describe('closeOutcome', () => {
  it('a revocation scope refuses the certificate, before or after logon', () => {
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: true, logout: { text: 'session ended: certificate 1a revoked (lost)', decision: d({ decision: 'ended', scope: 'revocation' }) } }))
      .toEqual({ kind: 'certificate-refused', reason: 'session ended: certificate 1a revoked (lost)' });
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: 'logon denied: the client certificate is revoked', decision: d({ scope: 'revocation' }) } }))
      .toMatchObject({ kind: 'certificate-refused', reason: expect.stringMatching(/^the device certificate is revoked: /) });
  });

  it('the words in the Text decide nothing', () => {
    // "revoked" / "denied" / "locked" in the Text of an ENDED session: reconnect (the next Logon is decided afresh).
    for (const text of ['session ended: revoked', 'session ended: denied: risk score 90', 'session ended: locked out']) {
      expect(closeOutcome({ reason: 'logged out', wasLoggedOn: true, logout: { text, decision: d({ decision: 'ended', scope: 'policy' }) } }))
        .toEqual({ kind: 'reconnect', reason: `the gateway ended the session: ${text}` });
    }
    // A refused Logon mentioning a certificate without the revocation scope is a denial, not a revocation.
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: 'the client certificate was issued to another user', decision: d({}) } }))
      .toEqual({ kind: 'denied', reason: 'the client certificate was issued to another user' });
  });

  it('DENY is final; a refusal from a peer without decision fields is too', () => {
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: true, logout: { text: 'no', decision: d({ scope: 'action' }) } })).toEqual({ kind: 'denied', reason: 'no' });
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: 'DENY: wrong username or password', decision: undefined } }))
      .toEqual({ kind: 'denied', reason: 'DENY: wrong username or password' });
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: undefined, decision: d({ reason: 'risk score 80' }) } }))
      .toEqual({ kind: 'denied', reason: 'logon denied: risk score 80' });
  });

  it('a lost connection reconnects; one lost before the Logon first asks the CRL', () => {
    expect(closeOutcome({ reason: 'peer closed the connection', wasLoggedOn: true })).toEqual({ kind: 'reconnect', reason: 'connection lost (peer closed the connection)' });
    expect(closeOutcome({ reason: 'peer closed the connection', wasLoggedOn: false })).toEqual({ kind: 'check-revocation', otherwise: 'connection lost (peer closed the connection)' });
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: undefined, decision: undefined } })).toMatchObject({ kind: 'check-revocation' });
  });

  it('sequence numbers out of step start a new FIX session: by our close cause or the Logout\'s session status, never its Text', () => {
    const resync = { kind: 'resync', reason: 'the FIX session is out of step with the gateway; starting a new one' };
    expect(closeOutcome({ reason: 'MsgSeqNum too low, expecting 9 but received 2', wasLoggedOn: false, closeCause: 'seq-too-low' })).toEqual(resync);
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, closeCause: 'logged-out', logout: { text: 'whatever the peer says', decision: undefined, sessionStatus: 'seq-too-low' } }))
      .toEqual(resync);
    // The engine's words without the status field: a refusal like any other, not a resync.
    expect(closeOutcome({ reason: 'logged out', wasLoggedOn: false, logout: { text: 'MsgSeqNum too low, expecting 9 but received 2', decision: undefined } }))
      .toEqual({ kind: 'denied', reason: 'MsgSeqNum too low, expecting 9 but received 2' });
    // Once logged on, a resync is not this outcome's to decide (the session already ran on these numbers).
    expect(closeOutcome({ reason: 'peer closed the connection', wasLoggedOn: true, closeCause: 'seq-too-low' }))
      .toEqual({ kind: 'reconnect', reason: 'connection lost (peer closed the connection)' });
  });
});
