/**
 * Country lookup from a MaxMind GeoIP2/GeoLite2 (Country or City) .mmdb file, via the `maxmind` package.
 *
 * API
 *   class GeoIp
 *     static open(mmdbPath): Promise<GeoIp>   — throws naming the file if it is missing or not an .mmdb
 *     static none(): GeoIp                    — no database configured: every lookup is undefined
 *     country(ip): string | undefined         — ISO 3166 alpha-2 (registered country if no country); never throws
 */
import maxmind, { type CountryResponse, type Reader } from 'maxmind';
import { normalizeIp } from '../risk/cidr.ts';

export class GeoIp {
  #reader: Reader<CountryResponse> | null;

  private constructor(reader: Reader<CountryResponse> | null) {
    this.#reader = reader;
  }

  static async open(mmdbPath: string): Promise<GeoIp> {
    try {
      return new GeoIp(await maxmind.open<CountryResponse>(mmdbPath, { cache: { max: 10_000 } }));
    } catch (e) {
      throw new Error(`${mmdbPath}: cannot open GeoIP database (${(e as Error).message})`);
    }
  }

  static none(): GeoIp {
    return new GeoIp(null);
  }

  country(ip: string): string | undefined {
    const a = normalizeIp(ip);
    if (!a || !this.#reader) return undefined;
    try {
      const r = this.#reader.get(a);
      const code = r?.country?.iso_code ?? r?.registered_country?.iso_code;
      return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined;
    } catch {
      return undefined;
    }
  }
}
