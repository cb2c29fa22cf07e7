import type { CommandResult, CommandRunner, FileResult } from '../runner.ts';
import type { SystemInfo } from '../system-info.ts';

export type FixtureCommand =
  | { stdout?: string; stderr?: string; exitCode?: number }
  | { fail: 'missing' | 'timeout' | 'permission' | 'too-large' | 'failed' }
  | { hang: true };

export interface FixtureSpec {
  /** Matched against "file arg1 arg2 ..." — a string exactly, a RegExp by test(). First match wins. */
  commands?: Array<[string | RegExp, FixtureCommand]>;
  files?: Record<string, string | { fail: 'missing' | 'permission' }>;
  exists?: string[];
}

/** A CommandRunner that answers from recorded outputs; anything not recorded is "not installed" / "not found". */
export function createFixtureRunner(spec: FixtureSpec): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(file, args): Promise<CommandResult> {
      const line = [file, ...args].join(' ');
      calls.push(line);
      const hit = spec.commands?.find(([m]) => (typeof m === 'string' ? m === line : m.test(line)))?.[1];
      if (!hit) return { ok: false, kind: 'missing', error: `${file}: not installed` };
      if ('hang' in hit) return new Promise<CommandResult>(() => undefined);
      if ('fail' in hit) return { ok: false, kind: hit.fail, error: `${file}: ${hit.fail}` };
      return { ok: true, stdout: hit.stdout ?? '', stderr: hit.stderr ?? '', exitCode: hit.exitCode ?? 0 };
    },
    async readFile(path, opts = {}): Promise<FileResult> {
      calls.push(`read ${path}`);
      const f = spec.files?.[path];
      if (f === undefined) return { ok: false, kind: 'missing', error: `${path}: not found` };
      if (typeof f !== 'string') return { ok: false, kind: f.fail, error: `${path}: ${f.fail}` };
      const max = opts.maxBytes ?? Infinity;
      const text = f.length > max ? (opts.tail ? f.slice(f.length - max) : f.slice(0, max)) : f;
      return { ok: true, text, truncated: f.length > max };
    },
    async exists(path) {
      return (spec.exists ?? []).includes(path) || spec.files?.[path] !== undefined;
    },
  };
}

type Os = Awaited<ReturnType<SystemInfo['osInfo']>>;
type Sys = Awaited<ReturnType<SystemInfo['system']>>;

export function fixtureSystemInfo(over: { os?: Partial<Os>; system?: Partial<Sys>; uuid?: { os?: string; hardware?: string }; fail?: boolean } = {}): SystemInfo {
  const boom = async (): Promise<never> => {
    throw new Error('systeminformation unavailable');
  };
  if (over.fail) return { osInfo: boom, uuid: boom, system: boom, blockDevices: boom };
  return {
    osInfo: async () => ({ platform: 'linux', distro: '', release: '', codename: '', kernel: '6.1.0-18-amd64', arch: 'x64', build: '', serial: '', uefi: true, ...over.os }),
    uuid: async () => ({ os: over.uuid?.os ?? '', hardware: over.uuid?.hardware ?? '', macs: [] }),
    system: async () => ({ manufacturer: 'LENOVO', model: '21CB', serial: '', uuid: '', virtual: false, ...over.system }),
    blockDevices: async () => [],
  };
}
