// Byte values and small helpers the FIX decoder and encoder share.

export const SOH = 0x01;
export const EQUALS = 0x3d;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const DIGIT_ZERO = 0x30;

/** Node's Buffer has these (undocumented in its types); they skip toString()/write()'s argument parsing. */
export type Latin1Buffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length?: number): number;
};
export const asLatin1 = (b: Buffer): Latin1Buffer => b as Latin1Buffer;

// FIX 4.4 data fields (type DATA) and the length field that must precede each: their value may contain SOH,
// so it is cut by length, not by delimiter. Checked against the generated dictionary by codec.test.ts.
export const DATA_FIELD_LENGTH_TAG: ReadonlyMap<number, number> = new Map([
  [89, 93], [91, 90], [96, 95], [213, 212], [349, 348], [351, 350], [353, 352], [355, 354], [357, 356],
  [359, 358], [361, 360], [363, 362], [365, 364], [446, 445], [619, 618], [622, 621],
]);
/** Index = data field tag (below 1024), value = its length field's tag; 0 for every other tag. */
const LENGTH_TAG_OF_DATA_FIELD = new Int32Array(1024);
for (const [data, len] of DATA_FIELD_LENGTH_TAG) LENGTH_TAG_OF_DATA_FIELD[data] = len;

/** The length field a data field's value is cut by, or 0 when `tag` is not a data field. */
export function lengthTagOfDataField(tag: number): number {
  return tag > 0 && tag < 1024 ? LENGTH_TAG_OF_DATA_FIELD[tag]! : 0;
}

/** Data fields may carry SOH in their value; no other field may. */
export function isDataField(tag: number): boolean {
  return lengthTagOfDataField(tag) !== 0;
}

/** Decimal digits of an integer (the sign counts as one). */
export function digitCount(n: number): number {
  if (n < 0) return digitCount(-n) + 1;
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  let d = 6;
  for (let x = 1000000; x <= n && d < 17; x *= 10) d++;
  return d;
}
