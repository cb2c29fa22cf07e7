/**
 * Reads a small configuration file defensively: a FIFO, a directory, a huge file or an unreadable one comes
 * back as a ConfigError naming the file, never as a hang, a throw or a partial read.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { fail, type LoadResult } from './schema.ts';

export const MAX_CONFIG_BYTES = 64 * 1024;

/** The file's bytes; `missing` when it does not exist. */
export async function readSmallFile(file: string, maxBytes = MAX_CONFIG_BYTES): Promise<LoadResult<Buffer> | 'missing'> {
  let handle: fs.FileHandle | undefined;
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not hang the client.
    handle = await fs.open(file, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
    const st = await handle.stat();
    if (!st.isFile()) return fail(file, '(file)', 'is not a regular file');
    if (st.size > maxBytes) return fail(file, '(file)', `is ${st.size} bytes; the limit is ${maxBytes}`);
    const buf = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buf, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return fail(file, '(file)', `is larger than ${maxBytes} bytes`);
    return { ok: true, value: buf.subarray(0, bytesRead) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EACCES' || code === 'EPERM') return fail(file, '(file)', 'cannot be read (permission denied)');
    if (code === 'EISDIR') return fail(file, '(file)', 'is a directory');
    return fail(file, '(file)', `cannot be read (${code ?? (e as Error).message})`);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Strict UTF-8 (a leading BOM is dropped); null when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return null;
  }
}

/** Reads a small JSON file. `missing` is returned when it does not exist. */
export async function readJsonFile(file: string, maxBytes = MAX_CONFIG_BYTES): Promise<LoadResult<unknown> | 'missing'> {
  const raw = await readSmallFile(file, maxBytes);
  if (raw === 'missing' || !raw.ok) return raw;
  const text = decodeUtf8(raw.value);
  if (text === null) return fail(file, '(file)', 'is not valid UTF-8 text');
  if (!text.trim()) return fail(file, '(file)', 'is empty');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return fail(file, '(file)', `is not valid JSON (${(e as Error).message})`);
  }
}
