/** What every strict parser returns: a value it is sure of, or why it is not. Parsers never throw. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_PARSE_INPUT = 4 * 1024 * 1024;

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail<T = never>(error: string): Parsed<T> {
  return { ok: false, error };
}

/** Guards shared by all parsers: type, size, binary junk. */
export function checkInput(input: unknown, what: string): string | undefined {
  if (typeof input !== 'string') return `${what}: input is not text`;
  if (input.length > MAX_PARSE_INPUT) return `${what}: output too large (${input.length} chars)`;
  if (input.includes('\u0000')) return `${what}: output contains NUL bytes`;
  return undefined;
}

export function lines(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/** JSON.parse that reports instead of throwing. */
export function parseJson(text: string, what: string): Parsed<unknown> {
  try {
    return ok(JSON.parse(text.replace(/^\uFEFF/, '')) as unknown);
  } catch (err) {
    return fail(`${what}: not JSON (${(err as Error).message.slice(0, 120)})`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
