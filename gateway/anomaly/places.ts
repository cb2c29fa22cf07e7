/**
 * Where a country is, for impossible travel: each country's capital (latitude, longitude). Country-level GeoIP
 * cannot say more; rules use a minimum distance so neighbours and large countries do not raise false alarms.
 *
 * API
 *   locate(iso2): { lat, lon } | undefined
 *   distanceKm(a, b): number   great-circle (haversine) distance
 */
const CAPITALS: Readonly<Record<string, readonly [number, number]>> = {
  AE: [24.45, 54.38], AR: [-34.6, -58.38], AT: [48.21, 16.37], AU: [-35.28, 149.13], BE: [50.85, 4.35], BR: [-15.79, -47.88],
  CA: [45.42, -75.7], CH: [46.95, 7.45], CL: [-33.45, -70.67], CN: [39.9, 116.4], CO: [4.71, -74.07], CZ: [50.08, 14.44],
  DE: [52.52, 13.4], DK: [55.68, 12.57], EG: [30.04, 31.24], ES: [40.42, -3.7], FI: [60.17, 24.94], FR: [48.86, 2.35],
  GB: [51.51, -0.13], GR: [37.98, 23.73], HK: [22.32, 114.17], HU: [47.5, 19.04], ID: [-6.21, 106.85], IE: [53.35, -6.26],
  IL: [31.77, 35.21], IN: [28.61, 77.21], IR: [35.69, 51.39], IT: [41.9, 12.5], JP: [35.68, 139.69], KE: [-1.29, 36.82],
  KP: [39.04, 125.76], KR: [37.57, 126.98], LU: [49.61, 6.13], MX: [19.43, -99.13], MY: [3.14, 101.69], NG: [9.08, 7.4],
  NL: [52.37, 4.9], NO: [59.91, 10.75], NZ: [-41.29, 174.78], PH: [14.6, 120.98], PK: [33.69, 73.04], PL: [52.23, 21.01],
  PT: [38.72, -9.14], RO: [44.43, 26.1], RU: [55.76, 37.62], SA: [24.71, 46.68], SE: [59.33, 18.07], SG: [1.29, 103.85],
  TH: [13.76, 100.5], TR: [39.93, 32.86], TW: [25.03, 121.57], UA: [50.45, 30.52], US: [38.9, -77.04], VN: [21.03, 105.85],
  ZA: [-25.75, 28.19],
};

export type Place = { lat: number; lon: number };

export function locate(iso2: string): Place | undefined {
  const c = Object.hasOwn(CAPITALS, iso2) ? CAPITALS[iso2] : undefined;
  return c ? { lat: c[0], lon: c[1] } : undefined;
}

export function distanceKm(a: Place, b: Place): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
