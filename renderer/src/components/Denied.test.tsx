import { describe, expect, it } from 'vitest';
import { adviceFor } from './Denied.tsx';

// The gateway's own denial texts (gateway/session/logon.ts), each with the advice a trader should get.
describe('denial advice', () => {
  const cases: Array<[string, RegExp]> = [
    ['logon denied: invalid username or password', /Check your username and password/],
    ['the user is locked out for 60 s after repeated wrong passwords', /locked for a short while.*Wait/],
    ['the user is locked out after too many wrong step-up answers', /Ask the service desk to unlock it/],
    ['the user is disabled', /account is disabled/],
    ['the client certificate is revoked', /Ask IT for a new enrollment token/],
    ['the client certificate was issued to another user', /enrolled for another user/],
    ['attestation refused (stale): attestation is older than 300 s', /Fix the device setting/],
    ['Device posture: disk encryption is off.', /Fix the device setting/],
    ['risk score 70 (authentication: password only +30, geography: anomalous country RU +40)', /approved network/],
    ['risk score 45 (authentication: password only +30, device: not compliant +15)', /Fix the device setting/],
    ['logon denied: SenderCompID ALICE does not belong to user rita', /enrolled for another user/],
    ['some reason the client has never heard of', /contact the service desk/],
    ['', /contact the service desk/],
  ];
  for (const [reason, advice] of cases) {
    it(reason || '(no reason)', () => expect(adviceFor(reason)).toMatch(advice));
  }
  it('a risk denial is never mistaken for a wrong password', () => {
    expect(adviceFor('risk score 70 (authentication: password only +30, geography: anomalous country RU +40)')).not.toMatch(/username and password/);
  });
  it('takes hostile or huge text without choking', () => {
    expect(adviceFor('x'.repeat(100_000))).toMatch(/service desk/);
    expect(adviceFor(undefined)).toMatch(/service desk/);
  });
});
