/**
 * A posture fact's evidence and value arrive as the agent's JSON (what was run or read, and what was parsed).
 * People read it as "key: value" lines; text that is not a JSON object is shown as it is.
 */
export type EvidenceLine = { key: string; value: string };

const MAX_LINES = 20;

function plain(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(plain).join(' ');
  return JSON.stringify(v);
}

/** The lines of a JSON object, or null when the text is not one (then show the text itself). */
export function evidenceLines(text: string | undefined): EvidenceLine[] | null {
  if (!text || text.length > 8_000) return null;
  const t = text.trim();
  if (!t.startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  return Object.entries(parsed as Record<string, unknown>).slice(0, MAX_LINES).map(([key, value]) => ({ key, value: plain(value) }));
}

/** A fact's value in words: a JSON scalar or object made readable, plain text as it is. */
export function readableValue(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = evidenceLines(text);
  if (lines) return lines.map((l) => `${l.key} ${l.value}`).join(', ');
  const t = text.trim();
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : text;
}

/** How urgent the certificate's expiry is, relative to its lifetime (a 3-day certificate is fresh at 3 days). */
export function certificateLevel(c: { notBefore: string; notAfter: string; renewAt: string }, now: number): 'ok' | 'warn' | 'bad' {
  const end = Date.parse(c.notAfter);
  const life = end - Date.parse(c.notBefore);
  if (now >= end) return 'bad';
  if (life > 0 && end - now < life * 0.1) return 'bad';
  return now >= Date.parse(c.renewAt) ? 'warn' : 'ok';
}
