import { spawn, type ChildProcess } from 'node:child_process';
import { access, open } from 'node:fs/promises';

/** What running a tool produced. A non-zero exit is not a failure by itself: several tools encode state in it. */
export type CommandResult =
  | { ok: true; stdout: string; stderr: string; exitCode: number }
  | {
      ok: false;
      kind: 'missing' | 'timeout' | 'permission' | 'too-large' | 'failed';
      error: string;
      stdout?: string;
      stderr?: string;
    };

export type FileResult =
  | { ok: true; text: string; truncated: boolean }
  | { ok: false; kind: 'missing' | 'permission' | 'failed'; error: string };

export interface RunOptions {
  timeoutMs?: number;
  maxBuffer?: number;
  env?: Record<string, string>;
}

export interface ReadOptions {
  /** At most this many bytes are read; with `tail` the last ones (logs append). */
  maxBytes?: number;
  tail?: boolean;
  /** latin1 for binary files (efivars), one char per byte. */
  encoding?: 'utf8' | 'latin1';
}

/** Everything the collectors learn from the OS goes through this, so fixtures can stand in for it. */
export interface CommandRunner {
  run(file: string, args: string[], opts?: RunOptions): Promise<CommandResult>;
  readFile(path: string, opts?: ReadOptions): Promise<FileResult>;
  exists(path: string): Promise<boolean>;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BUFFER = 4 * 1024 * 1024;
const DEFAULT_MAX_READ = 2 * 1024 * 1024;

function killTree(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export function commandLine(file: string, args: string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The real runner: spawn without a shell, a deadline that kills the whole process group, a bounded buffer. */
export function createExecFileRunner(defaults: { timeoutMs?: number } = {}): CommandRunner {
  return {
    async exists(path) {
      try {
        await access(path);
        return true;
      } catch {
        return false;
      }
    },

    run(file, args, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
      const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
      return new Promise<CommandResult>((resolve) => {
        let child: ChildProcess | undefined;
        let settled = false;
        const settle = (r: CommandResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(guard);
          resolve(r);
        };
        // On POSIX the tool runs in its own process group, so the kill at the deadline also reaches
        // grandchildren that would otherwise keep the pipes (and this promise) open.
        const guard = setTimeout(() => {
          killTree(child);
          settle({ ok: false, kind: 'timeout', error: `timed out after ${timeoutMs} ms` });
        }, timeoutMs);
        guard.unref();
        try {
          child = spawn(file, args, {
            shell: false,
            windowsHide: true,
            detached: process.platform !== 'win32',
            stdio: ['ignore', 'pipe', 'pipe'],
            // The C locale keeps most Unix tools' output in the format the parsers expect.
            env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...opts.env },
          });
        } catch (err) {
          settle({ ok: false, kind: 'failed', error: (err as Error).message });
          return;
        }
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let size = 0;
        const collect = (into: Buffer[]) => (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBuffer) {
            killTree(child);
            settle({ ok: false, kind: 'too-large', error: `output exceeded ${maxBuffer} bytes` });
            return;
          }
          into.push(chunk);
        };
        child.stdout?.on('data', collect(out));
        child.stderr?.on('data', collect(errs));
        child.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return settle({ ok: false, kind: 'missing', error: `${file}: not installed` });
          if (err.code === 'EACCES' || err.code === 'EPERM') return settle({ ok: false, kind: 'permission', error: `${file}: permission denied` });
          settle({ ok: false, kind: 'failed', error: err.message });
        });
        child.on('close', (code, signal) => {
          const stdout = Buffer.concat(out).toString('utf8');
          const stderr = Buffer.concat(errs).toString('utf8');
          if (code === null) return settle({ ok: false, kind: 'failed', error: `${file} killed by ${signal ?? 'a signal'}`, stdout, stderr });
          settle({ ok: true, stdout, stderr, exitCode: code });
        });
      });
    },

    async readFile(path, opts = {}) {
      const maxBytes = opts.maxBytes ?? DEFAULT_MAX_READ;
      let fh;
      try {
        fh = await open(path, 'r');
        const { size } = await fh.stat();
        const length = Math.min(size, maxBytes);
        const position = opts.tail && size > maxBytes ? size - maxBytes : 0;
        const buf = Buffer.alloc(length);
        let read = 0;
        // Bounded: each pass reads > 0 bytes or stops.
        while (read < length) {
          const { bytesRead } = await fh.read(buf, read, length - read, position + read);
          if (bytesRead === 0) break;
          read += bytesRead;
        }
        return { ok: true, text: buf.subarray(0, read).toString(opts.encoding ?? 'utf8'), truncated: size > maxBytes };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return { ok: false, kind: 'missing', error: `${path}: not found` };
        if (e.code === 'EACCES' || e.code === 'EPERM') return { ok: false, kind: 'permission', error: `${path}: permission denied` };
        return { ok: false, kind: 'failed', error: `${path}: ${e.message}` };
      } finally {
        await fh?.close().catch(() => undefined);
      }
    },
  };
}
