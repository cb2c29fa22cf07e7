import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../identity/directory.ts';
import { scoreRisk } from '../risk/score.ts';
import { buildMmdb } from '../testing/mmdb.ts';
import { GeoIp } from './geoip.ts';

let dir: string;
let geo: GeoIp;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-geo-'));
  const file = join(dir, 'test.mmdb');
  await buildMmdb(file, {
    '198.51.100.0/24': 'GB', // TEST-NET-2: "London office"
    '203.0.113.0/25': 'US',
    '203.0.113.128/25': 'KP',
    '2001:db8:1::/48': 'DE',
  });
  geo = await GeoIp.open(file);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const alice: User = { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', webauthnCredentials: [],
  expectedCountries: ['GB', 'US'], certSubjects: [], compIds: [] };

describe('GeoIp with a database built for the test', () => {
  it('finds the country of each range, IPv4, IPv4-mapped and IPv6', () => {
    expect(geo.country('198.51.100.20')).toBe('GB');
    expect(geo.country('::ffff:198.51.100.20')).toBe('GB');
    expect(geo.country('203.0.113.1')).toBe('US');
    expect(geo.country('203.0.113.200')).toBe('KP');
    expect(geo.country('2001:db8:1::42')).toBe('DE');
  });

  it('returns undefined for addresses outside the database and for garbage', () => {
    for (const ip of ['192.0.2.1', '10.0.0.1', '2001:db8:2::1', '', 'not-an-ip', '999.1.1.1', 'x'.repeat(10_000)]) {
      expect(geo.country(ip)).toBeUndefined();
    }
  });

  it('feeds the geography factor: expected country 0, anomalous country +40', () => {
    const base = { user: alice, strongestAuth: 'webauthn', deviceCompliant: true, deviceAttested: true } as const;
    const home = scoreRisk({ ...base, ip: '198.51.100.20', country: geo.country('198.51.100.20') });
    expect(home.factors.find((f) => f.factor === 'geography')).toEqual({ factor: 'geography', condition: 'expected country GB', score: 0 });
    const away = scoreRisk({ ...base, ip: '203.0.113.200', country: geo.country('203.0.113.200') });
    expect(away.factors.find((f) => f.factor === 'geography')).toEqual({ factor: 'geography', condition: 'anomalous country KP', score: 40 });
    expect(away.decision).toBe('deny');
    const de = scoreRisk({ ...base, ip: '2001:db8:1::42', country: geo.country('2001:db8:1::42') });
    expect(de.factors.find((f) => f.factor === 'geography')?.score).toBe(40);
  });

  it('refuses a missing or corrupt database naming the file, and GeoIp.none() locates nothing', async () => {
    await expect(GeoIp.open(join(dir, 'missing.mmdb'))).rejects.toThrow(/missing.mmdb: cannot open GeoIP database/);
    const junk = join(dir, 'junk.mmdb');
    await writeFile(junk, Buffer.alloc(4096, 0xab));
    await expect(GeoIp.open(junk)).rejects.toThrow(/junk.mmdb: cannot open GeoIP database/);
    expect(GeoIp.none().country('198.51.100.20')).toBeUndefined();
  });
});
