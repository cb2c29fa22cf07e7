// What the generated encoders call: per kind of value a writer that checks it as toFields does and writes
// tag=value<SOH>, with a TypedEncoder's per-field caches of values that repeat.
import { unencodableStringError, type FixEncoder, type RenderedBytes } from '../codec.ts';
import { TYPE_CHAR, type FieldDef } from '../dictionary/dictionary.ts';
import { checkValue } from '../validate.ts';
import { fail, type CompiledEntry, type CompiledField, type CompiledGroup, type CompiledSpec, type FieldValueCache } from './compiled.ts';

// The typed encoder's value caches: at most CACHE_SIZE values per field; a field whose lookups mostly miss
// after CACHE_TRIAL misses stops being cached (its values do not repeat).
const CACHE_SIZE = 64;

const CACHE_TRIAL = 256;

/** Writes the cached field for `v`, if there is one. */
function writeCached(out: FixEncoder, cache: FieldValueCache, v: unknown): boolean {
  if (v === cache.lastValue) {
    cache.hits++;
    out.writeRendered(cache.lastRendered!);
    return true;
  }
  const r = cache.rendered!.get(v);
  if (r === undefined) return false;
  cache.hits++;
  cache.lastValue = v;
  cache.lastRendered = r;
  out.writeRendered(r);
  return true;
}

/** Keeps the field just written (from `offset` on) for `v`, or gives up caching a field that keeps missing. */
function remember(out: FixEncoder, cache: FieldValueCache, v: unknown, offset: number): void {
  const c = cache.rendered!;
  if (++cache.misses >= CACHE_TRIAL && cache.misses > cache.hits) {
    cache.rendered = null;
    cache.lastValue = undefined;
    cache.lastRendered = null;
    return;
  }
  if (c.size < CACHE_SIZE) c.set(v, out.renderSince(offset));
}

// The generated encoders (makeEncoder) call these with the FixEncoder, the TypedEncoder's value caches, the
// MsgType (for errors), the spec and the field: each checks the value as toFields' encodeValue does and writes tag=value<SOH>.
export function writeStringField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CompiledSpec, e: CompiledField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'string') fail(sp, mt, e.tag, `${e.key} must be a string, got ${JSON.stringify(v)}`);
  if (v.length === 0) fail(sp, mt, e.tag, `${e.key} must not be empty`);
  const d = e.def;
  const enumerated = e.checked && d.values !== null && !d.multiValue;
  if (enumerated && !(d.values!.has(v) && (d.typeCode !== TYPE_CHAR || v.length === 1))) invalidString(e, v, sp, mt);
  const from = out.offsetInMessage();
  const valueStart = out.writePrefixedString(e.tagPrefix, e.tag, v);
  if (valueStart < 0) {
    // Report a bad value as such before reporting the character the wire cannot carry.
    if (e.checked && !enumerated && !stringValueOk(d, v)) invalidString(e, v, sp, mt);
    throw unencodableStringError(e.tag, v);
  }
  // Other checked types (timestamps, dates, CHAR, ...) are checked on the bytes just written.
  if (e.checked && !enumerated && checkValue(d, out.writtenBytes(), valueStart, out.writePosition() - 1) !== 0) {
    invalidString(e, v, sp, mt);
  }
  if (caching) remember(out, cache, v, from);
}

export function writeIntField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CompiledSpec, e: CompiledField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(sp, mt, e.tag, `${e.key} must be an integer, got ${JSON.stringify(v)}`);
  if (e.intValues !== null && !e.intValues.has(v)) invalidString(e, String(v), sp, mt);
  const from = out.offsetInMessage();
  out.writePrefixedInt(e.tagPrefix, e.tag, v);
  if (caching) remember(out, cache, v, from);
}

export function writeDecimalField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CompiledSpec, e: CompiledField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(sp, mt, e.tag, `${e.key} must be a finite number, got ${JSON.stringify(v)}`);
  const from = out.offsetInMessage();
  out.writePrefixedDecimal(e.tagPrefix, e.tag, v);
  if (caching) remember(out, cache, v, from);
}

export function writeBooleanField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CompiledSpec, e: CompiledField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'boolean') fail(sp, mt, e.tag, `${e.key} must be a boolean, got ${JSON.stringify(v)}`);
  const from = out.offsetInMessage();
  out.writePrefixedString(e.tagPrefix, e.tag, v ? 'Y' : 'N');
  if (caching) remember(out, cache, v, from);
}

export function writeGroup(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CompiledSpec, e: CompiledGroup, v: unknown): void {
  if (!Array.isArray(v)) fail(sp, mt, e.tag, `${e.key} must be an array`);
  out.writePrefixedInt(e.tagPrefix, e.tag, v.length);
  const inner = e.spec;
  for (let j = 0; j < v.length; j++) {
    const o = v[j] as unknown;
    if (o === null || typeof o !== 'object') fail(inner, mt, undefined, `expected an object, got ${JSON.stringify(o)}`);
    inner.enc(o as Record<string, unknown>, out, caches, mt);
  }
}

export function missingRequired(sp: CompiledSpec, e: CompiledEntry, mt: string): never {
  fail(sp, mt, e.tag, `required tag ${e.tag} (${e.key}) is missing`);
}

// Value checks of outgoing strings reuse the byte-level checkers through a copy of the string's bytes, in
// `scratch` when it is long enough (toFields passes one for all of a message's fields).
export function stringValueOk(fd: FieldDef, s: string, scratch?: Uint8Array): boolean {
  const n = s.length;
  const b = scratch !== undefined && scratch.length >= n ? scratch : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    b[i] = c > 0xff ? 0x3f : c;
  }
  return checkValue(fd, b, 0, n) === 0;
}

export function invalidString(e: CompiledField, s: string, spec: CompiledSpec, mt: string): never {
  fail(spec, mt, e.tag, `${e.key}=${JSON.stringify(s)} is not a valid ${e.def.type}${e.def.values ? ` (allowed: ${[...e.def.values].join(', ')})` : ''}`);
}
