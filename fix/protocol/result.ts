/**
 * What every reader of fix/protocol/ returns: the typed value, or why the message was refused. Readers never
 * throw on what a peer sent — a hostile or broken message is an answer, not an exception.
 */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): ReadResult<T> {
  return { ok: true, value };
}

export function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** The value, or undefined when refused (for callers that only need "usable or not"). */
export function valueOf<T>(r: ReadResult<T>): T | undefined {
  return r.ok ? r.value : undefined;
}
