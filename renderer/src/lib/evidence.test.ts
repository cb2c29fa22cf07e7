import { describe, expect, it } from 'vitest';
import { certificateLevel, evidenceLines, readableValue } from './evidence.ts';

describe('posture evidence made readable', () => {
  it('turns the agent\'s JSON into key: value lines and leaves other text alone', () => {
    expect(evidenceLines('{"command":"lsblk","args":["-J","-o","NAME"],"exitCode":0}')).toEqual([
      { key: 'command', value: 'lsblk' }, { key: 'args', value: '-J -o NAME' }, { key: 'exitCode', value: '0' },
    ]);
    expect(evidenceLines('lsblk → crypt')).toBeNull();
    expect(evidenceLines('{"truncated": ')).toBeNull();
    expect(evidenceLines('[1,2]')).toBeNull();
    expect(evidenceLines(`{"a":"${'x'.repeat(9_000)}"}`)).toBeNull();
    expect(evidenceLines(JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))))).toHaveLength(20);
    expect(readableValue('{"encrypted":true}')).toBe('encrypted true');
    expect(readableValue('"LUKS2"')).toBe('LUKS2');
    expect(readableValue('41 days')).toBe('41 days');
  });

  it('colours a certificate by how much of its lifetime is left, so a fresh 3-day certificate is not red', () => {
    const day = 86_400_000;
    const now = Date.now();
    const cert = (bornDaysAgo: number, lifeDays: number) => ({
      notBefore: new Date(now - bornDaysAgo * day).toISOString(),
      notAfter: new Date(now + (lifeDays - bornDaysAgo) * day).toISOString(),
      renewAt: new Date(now + ((lifeDays * 2) / 3 - bornDaysAgo) * day).toISOString(),
    });
    expect(certificateLevel(cert(0, 3), now)).toBe('ok');
    expect(certificateLevel(cert(2.5, 3), now)).toBe('warn');
    expect(certificateLevel(cert(2.9, 3), now)).toBe('bad');
    expect(certificateLevel(cert(4, 3), now)).toBe('bad');
    expect(certificateLevel(cert(10, 90), now)).toBe('ok');
  });
});
