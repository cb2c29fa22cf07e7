import { checkInput, fail, lines, ok, type Parsed } from './result.ts';

export interface OsRelease {
  id: string;
  name?: string;
  prettyName?: string;
  versionId?: string;
  versionCodename?: string;
  idLike: string[];
  buildId?: string;
  fields: Record<string, string>;
}

/** /etc/os-release (os-release(5)): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Parsed<OsRelease> {
  const bad = checkInput(text, 'os-release');
  if (bad) return fail(bad);
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let n = 0;
  for (const raw of lines(text)) {
    n++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return fail(`os-release: line ${n} is not KEY=value`);
    const value = unquote(m[2]!);
    if (value === undefined) return fail(`os-release: line ${n} has a malformed quoted value`);
    fields[m[1]!] = value;
  }
  const id = fields.ID;
  if (!id || !/^[a-z0-9._-]+$/.test(id)) return fail('os-release: no valid ID field');
  return ok({
    id,
    name: fields.NAME,
    prettyName: fields.PRETTY_NAME,
    versionId: fields.VERSION_ID,
    versionCodename: fields.VERSION_CODENAME,
    idLike: (fields.ID_LIKE ?? '').split(/\s+/).filter(Boolean),
    buildId: fields.BUILD_ID,
    fields: { ...fields },
  });
}

function unquote(v: string): string | undefined {
  if (v.startsWith('"') || v.startsWith("'")) {
    const q = v[0]!;
    if (v.length < 2 || !v.endsWith(q)) return undefined;
    const inner = v.slice(1, -1);
    if (q === "'") return inner.includes("'") ? undefined : inner;
    return inner.replace(/\\([\\$"`])/g, '$1');
  }
  // Unquoted values may not contain shell specials.
  return /[\s"'`$\\]/.test(v) ? undefined : v;
}
