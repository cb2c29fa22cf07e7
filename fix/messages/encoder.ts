// Typed message → bytes (TypedEncoder, encodeTyped) or → Field[] (toFields, the reference path).
import { FixEncoder, FixMessage, renderTagPrefix, unencodableStringError, type Field } from '../codec.ts';
import { TypedMessageError } from '../errors.ts';
import { specs } from './compile.ts';
import { BOOL, checkRequired, DEC, fail, INT, type CompiledField, type CompiledSpec, type FieldValueCache } from './compiled.ts';
import { invalidString, stringValueOk } from './field-writers.ts';
import type { StandardHeader, TypedMessage } from './types.ts';

function formatNumber(e: CompiledField, v: unknown, spec: CompiledSpec, mt: string): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(spec, mt, e.tag, `${e.key} must be a finite number, got ${JSON.stringify(v)}`);
  if (e.valueKind === INT) {
    if (!Number.isSafeInteger(v)) fail(spec, mt, e.tag, `${e.key} must be an integer, got ${v}`);
    return String(v);
  }
  const s = String(v);
  if (s.indexOf('e') < 0) return s;
  if (Math.abs(v) >= 1e21) fail(spec, mt, e.tag, `${e.key}=${v} is too large for a FIX decimal`);
  return v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

function encodeValue(e: CompiledField, v: unknown, spec: CompiledSpec, mt: string, scratch: Uint8Array): string {
  let s: string;
  switch (e.valueKind) {
    case INT: case DEC:
      s = formatNumber(e, v, spec, mt);
      break;
    case BOOL:
      if (typeof v !== 'boolean') fail(spec, mt, e.tag, `${e.key} must be a boolean, got ${JSON.stringify(v)}`);
      return v ? 'Y' : 'N';
    default:
      if (typeof v !== 'string') fail(spec, mt, e.tag, `${e.key} must be a string, got ${JSON.stringify(v)}`);
      if (v.length === 0) fail(spec, mt, e.tag, `${e.key} must not be empty`);
      s = v;
  }
  if (e.checked && !stringValueOk(e.def, s, scratch)) invalidString(e, s, spec, mt);
  return s;
}

const MSG_TYPE_PREFIX = renderTagPrefix(35);

/**
 * Encodes typed messages straight to bytes — the fast path, the same output as
 * encodeMessage(beginString, toFields(msg, header)) without building the Field[] in between. It owns its
 * FixEncoder (the slab the messages are written into) and, per field, a cache of the encoded fields of values
 * that repeat (CompIDs, symbols, enumerations, dates, quantities), so keep one per session or connection:
 * encoders are independent of each other. A returned Buffer is a view of the slab (see fix/codec/encoder.ts):
 * never overwritten, but it keeps the slab alive.
 */
export class TypedEncoder {
  readonly bytes: FixEncoder;
  /** Per field (CompiledField.cacheSlot): its value cache; none for a one-message encoder. */
  readonly valueCaches: FieldValueCache[];

  /** `oneMessage`: for a single message (a small slab and no value caches: they would not be reused). */
  constructor(opts?: { oneMessage?: boolean }) {
    const oneMessage = opts?.oneMessage === true;
    this.bytes = new FixEncoder(oneMessage ? 1024 : undefined);
    this.valueCaches = [];
    if (!oneMessage) {
      for (let i = 0; i < specs().cacheSlots; i++) {
        this.valueCaches.push({ rendered: new Map(), lastValue: undefined, lastRendered: null, hits: 0, misses: 0 });
      }
    }
  }

  encode(beginString: string, msg: TypedMessage, header?: StandardHeader): Buffer {
    const c = specs();
    const mt = (msg as { msgType?: unknown }).msgType;
    const spec = typeof mt === 'string' ? c.messages.get(mt) : undefined;
    if (spec === undefined) throw new TypedMessageError(String(mt), 35, `MsgType ${JSON.stringify(mt)} has no typed form`);
    const msgType = mt as string;
    const out = this.bytes;
    out.begin();
    try {
      if (out.writePrefixedString(MSG_TYPE_PREFIX, 35, msgType) < 0) throw unencodableStringError(35, msgType);
      const h = header ?? msg.header;
      if (h !== undefined) {
        if (h === null || typeof h !== 'object') fail(c.header, msgType, undefined, 'header must be an object');
        c.header.enc(h as unknown as Record<string, unknown>, out, this.valueCaches, msgType);
      }
      spec.enc(msg as unknown as Record<string, unknown>, out, this.valueCaches, msgType);
    } catch (e) {
      out.abort();
      throw e;
    }
    return out.finish(beginString);
  }
}

/** TypedEncoder.encode with `encoder`, or with one made for this message. */
export function encodeTyped(beginString: string, msg: TypedMessage, header?: StandardHeader, encoder?: TypedEncoder): Buffer {
  return (encoder ?? new TypedEncoder({ oneMessage: true })).encode(beginString, msg, header);
}

function encodeSection(spec: CompiledSpec, obj: Record<string, unknown>, out: Field[], mt: string, scratch: Uint8Array): void {
  if (obj === null || typeof obj !== 'object') fail(spec, mt, undefined, `expected an object, got ${JSON.stringify(obj)}`);
  checkRequired(spec, obj, mt);
  const entries = spec.entries;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const v = obj[e.key];
    if (v === undefined) continue;
    if (!e.isGroup) {
      out.push({ tag: e.tag, value: encodeValue(e, v, spec, mt, scratch) });
      continue;
    }
    if (!Array.isArray(v)) fail(spec, mt, e.tag, `${e.key} must be an array`);
    out.push({ tag: e.tag, value: String(v.length) });
    for (const inst of v as Record<string, unknown>[]) encodeSection(e.spec, inst, out, mt, scratch);
  }
}

/**
 * The fields of a typed message, MsgType(35) first, then the header fields (when `header` is given, or the
 * message carries one), then the body in dictionary order — ready for encodeMessage(beginString, fields).
 */
export function toFields(msg: TypedMessage, header?: StandardHeader): Field[] {
  const c = specs();
  const mt = (msg as { msgType?: unknown }).msgType;
  const spec = typeof mt === 'string' ? c.messages.get(mt) : undefined;
  if (spec === undefined) throw new TypedMessageError(String(mt), 35, `MsgType ${JSON.stringify(mt)} has no typed form`);
  const out: Field[] = [{ tag: 35, value: mt as string }];
  const h = header ?? msg.header;
  const scratch = new Uint8Array(64); // for the value checks (stringValueOk)
  if (h !== undefined) encodeSection(c.header, h as unknown as Record<string, unknown>, out, mt as string, scratch);
  encodeSection(spec, msg as unknown as Record<string, unknown>, out, mt as string, scratch);
  return out;
}

/** A FixMessage of a typed message's fields (35, header, body), without 8/9/10. */
export function toFixMessage(msg: TypedMessage, header?: StandardHeader): FixMessage {
  return new FixMessage(toFields(msg, header));
}
