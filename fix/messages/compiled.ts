// The compiled form of the specs (compile.ts builds it): per field its dictionary definition, value kind and
// pre-rendered tag; per spec its entries in dictionary order and the functions generated for it.
import type { FixEncoder, RenderedBytes } from '../codec.ts';
import type { Dictionary, FieldDef, SectionDef } from '../dictionary/dictionary.ts';
import { TypedMessageError } from '../errors.ts';

/** Kinds of field value (CompiledField.valueKind). */
export const STR = 0, INT = 1, DEC = 2, BOOL = 3;

export interface CompiledField {
  readonly isGroup: false;
  readonly key: string;
  readonly tag: number;
  /** STR, INT, DEC or BOOL: what the typed property holds. */
  readonly valueKind: number;
  readonly def: FieldDef;
  /** The dictionary has a check for this value beyond "any string". */
  readonly checked: boolean;
  /** INT fields with an enumeration: the allowed values as numbers. */
  readonly intValues: ReadonlySet<number> | null;
  /**
   * validateMessage checks this field's value with checkValue, and converting it does not already imply
   * that check (it does for numbers and booleans without an enumeration).
   */
  readonly needsValueCheck: boolean;
  /** "tag=", rendered once. */
  readonly tagPrefix: RenderedBytes;
  /** Index of this field's value cache in a TypedEncoder (numbered once all specs are compiled). */
  cacheSlot: number;
}

export interface CompiledGroup {
  readonly isGroup: true;
  readonly key: string;
  readonly tag: number;
  readonly tagPrefix: RenderedBytes;
  readonly spec: CompiledSpec;
}

export type CompiledEntry = CompiledField | CompiledGroup;

export interface CompiledSpec {
  readonly name: string;
  /** Message specs: the MsgType ('' for the header and groups). */
  msgType: string;
  /** Entries by tag (index = tag). */
  readonly byTag: readonly (CompiledEntry | undefined)[];
  /** Entries in dictionary order (encoding order). */
  readonly entries: readonly CompiledEntry[];
  readonly required: readonly CompiledEntry[];
  readonly section: SectionDef;
  /** Group specs only: the delimiter tag. */
  readonly delimiter: number;
  /** Makes an object with every property of the spec set to undefined (one literal: one shape per spec). */
  readonly create: () => Record<string, unknown>;
  /** Generated: stores one field's converted value on an object of this spec; 1 if the tag is a field here. */
  set: (o: Record<string, unknown>, tag: number, b: Buffer, valueStart: number, valueEnd: number, trusted: boolean, msgType: string) => number;
  /** Generated: encodes an object of this spec (fields and groups in dictionary order) into `out`, with a
   * TypedEncoder's value caches. */
  enc: (o: Record<string, unknown>, out: FixEncoder, caches: readonly FieldValueCache[], msgType: string) => void;
  /** Generated: throws TypedMessageError for the first required property that is undefined. */
  req: (o: Record<string, unknown>, msgType: string) => void;
  /** Generated: every required property is set. */
  has: (o: Record<string, unknown>) => boolean;
  /** Generated, for readTyped: see makeReader. */
  read: (o: Record<string, unknown>, b: Buffer, idx: readonly number[], i: number, end: number) => number;
}

/** One field's value cache in a TypedEncoder. */
export interface FieldValueCache {
  /**
   * Encoded "tag=value<SOH>" of values seen before (only values that passed every check), while they
   * repeat often enough to pay for the lookup; null once they do not (ids, timestamps, prices).
   */
  rendered: Map<unknown, RenderedBytes> | null;
  /** The last hit (values often repeat from one message to the next: no hashing then). */
  lastValue: unknown;
  lastRendered: RenderedBytes | null;
  hits: number;
  misses: number;
}

export interface CompiledSpecs {
  dict: Dictionary;
  header: CompiledSpec;
  messages: Map<string, CompiledSpec>;
  /** Message specs by MsgType bytes: c0 | c1 << 8. */
  byCode: Map<number, CompiledSpec>;
  /** Number of fields in all specs (CompiledField.cacheSlot is below it). */
  cacheSlots: number;
}

export function fail(spec: CompiledSpec, msgType: string, tag: number | undefined, why: string): never {
  throw new TypedMessageError(msgType, tag, `${spec.name}: ${why}`);
}

export function checkRequired(spec: CompiledSpec, obj: Record<string, unknown>, mt: string): void {
  spec.req(obj, mt);
}
