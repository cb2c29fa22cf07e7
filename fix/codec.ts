// FIX tag=value codec on bytes. Decoding (codec/decoder.ts) records where each field's tag and value sit in
// the buffer and turns a value into a string only when someone asks for it; encoding (codec/encoder.ts) is an
// object, FixEncoder, that writes bytes straight into a slab it owns and returns the finished message as a
// view of it. This module is the codec's public face: the parts, and the one-call encoders.
import { EncodeError } from './errors.ts';
import { encodeFields } from './codec/encode-fields.ts';
import type { FixEncoder } from './codec/encoder.ts';
import { FixMessage, type Field } from './codec/fix-message.ts';

export { DATA_FIELD_LENGTH_TAG, SOH, type Latin1Buffer } from './codec/bytes.ts';
export { asBuffer, checksum, decodeMessage, FixDecoder, scanMessage, type DecodeOptions } from './codec/decoder.ts';
export { FixEncoder, unencodableStringError } from './codec/encoder.ts';
export { FixMessage, type Field } from './codec/fix-message.ts';
export { latin1Slice, parseIntBytes } from './codec/latin1.ts';

/**
 * Encodes 8=<beginString>, 9=<computed>, the body (35 onwards, without 8/9/10) and 10=<computed>: with
 * `encoder` into its slab (the result is a view of it), or without one into a Buffer of the message's size.
 */
export function encodeMessage(beginString: string, body: Field[], encoder?: FixEncoder): Buffer {
  if (encoder === undefined) return encodeFields(beginString, body);
  const e = encoder;
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

/** Encodes an already-built FixMessage (its 8, 9 and 10 fields, if any, are recomputed). */
export function encodeFixMessage(msg: FixMessage, beginString?: string): Buffer {
  const fields = msg.fields;
  const bs = beginString ?? msg.get(8);
  if (bs === undefined) throw new EncodeError('no BeginString(8) given');
  const body: Field[] = [];
  for (const f of fields) if (f.tag !== 8 && f.tag !== 9 && f.tag !== 10) body.push(f);
  return encodeMessage(bs, body);
}
