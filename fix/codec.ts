// FIX tag=value codec on bytes. Decoding (codec/decoder.ts) records where each field's tag and value sit in
// the buffer and turns a value into a string only when someone asks for it; encoding (codec/encoder.ts) is an
// object, FixEncoder, that writes bytes straight into a slab it owns and returns the finished message as a
// view of it. This module is the codec's public face: the parts, and the one-call encoders.
import { EncodeError } from './errors.ts';
import { FixEncoder, slabBytesFor } from './codec/encoder.ts';
import { digitCount } from './codec/bytes.ts';
import { FixMessage, type Field } from './codec/fix-message.ts';

export { DATA_FIELD_LENGTH_TAG, SOH, type Latin1Buffer } from './codec/bytes.ts';
export { asBuffer, checksum, decodeMessage, scanMessage, SCANNED, type DecodeOptions } from './codec/decoder.ts';
export { FixEncoder, unencodableStringError } from './codec/encoder.ts';
export { FixMessage, type Field } from './codec/fix-message.ts';
export { internLatin1, latin1Slice, parseIntBytes } from './codec/latin1.ts';
export { renderTagPrefix, type RenderedBytes } from './codec/rendered-bytes.ts';

/**
 * Encodes 8=<beginString>, 9=<computed>, the body (35 onwards, without 8/9/10) and 10=<computed>, with
 * `encoder` (a session keeps one: its slab serves many messages), or with one made for this message.
 */
export function encodeMessage(beginString: string, body: Field[], encoder?: FixEncoder): Buffer {
  const e = encoder ?? new FixEncoder(slabBytesFor(bodyLength(body)));
  e.begin();
  try {
    for (let i = 0; i < body.length; i++) {
      const f = body[i]!;
      if (f.tag === 8 || f.tag === 9 || f.tag === 10) {
        throw new EncodeError(`tag ${f.tag} in the body: encodeMessage writes BeginString, BodyLength and CheckSum itself`);
      }
      e.writeString(f.tag, f.value);
    }
  } catch (err) {
    e.abort();
    throw err;
  }
  return e.finish(beginString);
}

/** Bytes of the fields as tag=value<SOH> (Latin-1: one byte per character). */
function bodyLength(body: Field[]): number {
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const f = body[i]!;
    n += digitCount(f.tag) + f.value.length + 2;
  }
  return n;
}

/** Encodes an already-built FixMessage (its 8, 9 and 10 fields, if any, are recomputed). */
export function encodeFixMessage(msg: FixMessage, beginString?: string): Buffer {
  const fields = msg.fields;
  const bs = beginString ?? msg.get(8);
  if (bs === undefined) throw new EncodeError('no BeginString(8) given');
  const body: Field[] = [];
  for (const f of fields) if (f.tag !== 8 && f.tag !== 9 && f.tag !== 10) body.push(f);
  return encodeMessage(bs, body);
}
