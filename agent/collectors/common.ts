import type { Fact, FactId, OsSummary, PosturePlatform } from '../report.ts';
import { commandLine, type CommandResult, type CommandRunner, type RunOptions } from '../runner.ts';
import type { Parsed } from '../parsers/result.ts';
import type { SystemInfo } from '../system-info.ts';

export interface CollectContext {
  runner: CommandRunner;
  si: SystemInfo;
  now: Date;
  commandTimeoutMs: number;
  /** Fact baseline the agent applies before any policy: patches older than this fail. */
  maxPatchAgeDays: number;
  /** Epoch ms by which every probe must have answered; later ones become "unknown: timed out". */
  deadline: number;
}

export interface PlatformCollection {
  os: OsSummary;
  facts: Fact[];
}

export type PlatformCollector = (ctx: CollectContext) => Promise<PlatformCollection>;

export const FACT_LABELS: Record<FactId, string> = {
  'os.version': 'Operating system',
  'patch.lastInstalled': 'Last update installed',
  'patch.pending': 'Pending security updates',
  'disk.encryption': 'System disk encryption',
  firewall: 'Firewall',
  screenLock: 'Screen lock',
  secureBoot: 'Secure Boot',
  'hardware.id': 'Hardware identity',
  'agent.version': 'Agent version',
};

type Evidence = Fact['evidence'];

export function fact(id: FactId, status: Fact['status'], parts: { value?: unknown; reason?: string; evidence: Evidence }): Fact {
  return {
    id,
    label: FACT_LABELS[id],
    status,
    ...(parts.value !== undefined ? { value: parts.value } : {}),
    ...(parts.reason !== undefined ? { reason: parts.reason } : {}),
    evidence: parts.evidence,
  };
}

export function unknown(id: FactId, reason: string, evidence: Evidence): Fact {
  return fact(id, 'unknown', { reason, evidence });
}

/** Why a tool gave no usable answer, in the words the report shows. */
export function toolFailure(file: string, r: CommandResult): string {
  if (r.ok && needsElevation(`${r.stderr}\n${r.stdout}`)) return `needs elevation (${file}: ${firstLine(r.stderr || r.stdout)})`;
  if (r.ok) return `${file} exited with code ${r.exitCode}${r.stderr.trim() ? `: ${firstLine(r.stderr)}` : ''}`;
  switch (r.kind) {
    case 'missing':
      return `${file} is not installed`;
    case 'permission':
      return 'needs elevation';
    case 'timeout':
      return `${file} ${r.error}`;
    case 'too-large':
      return `${file} output too large`;
    default:
      return `${file} failed: ${firstLine(r.error)}`;
  }
}

const ELEVATION = /need to be root|must be run as root|permission denied|operation not permitted|access is denied|requires elevation|administrator privileges/i;

export function needsElevation(text: string): boolean {
  return ELEVATION.test(text);
}

export function firstLine(s: string): string {
  return (s.trim().split(/\r?\n/)[0] ?? '').slice(0, 200);
}

export interface ToolRun {
  result: CommandResult;
  evidence: Evidence;
  /** stdout (and stderr when asked) when the tool ran at all. */
  text?: string;
}

export async function runTool(
  ctx: CollectContext,
  file: string,
  args: string[],
  opts: RunOptions & { withStderr?: boolean } = {},
): Promise<ToolRun> {
  const result = await ctx.runner.run(file, args, { timeoutMs: ctx.commandTimeoutMs, ...opts });
  const evidence: Evidence = { command: file, args };
  if (!result.ok) return { result, evidence: { ...evidence, error: result.error } };
  const text = opts.withStderr ? `${result.stdout}\n${result.stderr}` : result.stdout;
  return { result, evidence, text };
}

/** Runs a tool and a parser; evidence records the command and either what was parsed or why not. */
export async function runParsed<T>(
  ctx: CollectContext,
  file: string,
  args: string[],
  parse: (text: string, exitCode: number) => Parsed<T>,
  opts: RunOptions & { withStderr?: boolean; acceptExit?: number[] | 'any' } = {},
): Promise<{ ok: true; value: T; evidence: Evidence } | { ok: false; reason: string; evidence: Evidence; elevation?: boolean; missing?: boolean }> {
  const run = await runTool(ctx, file, args, opts);
  const r = run.result;
  if (!r.ok) return { ok: false, reason: toolFailure(file, r), evidence: run.evidence, elevation: r.kind === 'permission', missing: r.kind === 'missing' };
  const accept = opts.acceptExit ?? [0];
  const accepted = accept === 'any' || accept.includes(r.exitCode);
  const parsed = parse(run.text ?? '', r.exitCode);
  if (!parsed.ok || !accepted) {
    // An unexpected exit code fails the fact even if the output parsed: a half-run tool must not pass silently.
    const parseError = parsed.ok ? undefined : parsed.error;
    const why = !accepted ? `${toolFailure(file, r)}${parseError ? ` (${parseError})` : ''}` : (parseError ?? '');
    return { ok: false, reason: why, evidence: { ...run.evidence, error: why }, elevation: why.startsWith('needs elevation') };
  }
  return { ok: true, value: parsed.value, evidence: { ...run.evidence, parsed: parsed.value } };
}

export async function readParsed<T>(
  ctx: CollectContext,
  path: string,
  parse: (text: string) => Parsed<T>,
  opts: { maxBytes?: number; tail?: boolean; encoding?: 'utf8' | 'latin1' } = {},
): Promise<{ ok: true; value: T; evidence: Evidence; truncated: boolean } | { ok: false; reason: string; evidence: Evidence; missing?: boolean }> {
  const r = await ctx.runner.readFile(path, opts);
  if (!r.ok) {
    const reason = r.kind === 'permission' ? `needs elevation (${path})` : r.error;
    return { ok: false, reason, evidence: { source: path, error: r.error }, missing: r.kind === 'missing' };
  }
  const parsed = parse(r.text);
  if (!parsed.ok) return { ok: false, reason: parsed.error, evidence: { source: path, error: parsed.error } };
  return { ok: true, value: parsed.value, evidence: { source: path, parsed: parsed.value }, truncated: r.truncated };
}

/** The last-patch fact from a date, judged against the agent's baseline age. */
export function lastPatchFact(ctx: CollectContext, when: Date, evidence: Evidence, what: string): Fact {
  const days = Math.floor((ctx.now.getTime() - when.getTime()) / 86_400_000);
  const value = { date: when.toISOString(), daysAgo: days };
  if (days > ctx.maxPatchAgeDays) {
    return fact('patch.lastInstalled', 'fail', { value, reason: `${what} ${days} days ago (baseline ${ctx.maxPatchAgeDays})`, evidence });
  }
  return fact('patch.lastInstalled', 'pass', { value, reason: `${what} ${days} days ago`, evidence });
}

export function pendingFact(total: number, security: number, evidence: Evidence, source: string): Fact {
  const value = { total, security };
  if (security > 0) return fact('patch.pending', 'fail', { value, reason: `${security} security update(s) pending (${total} in all, ${source})`, evidence });
  return fact('patch.pending', 'pass', { value, reason: `no security updates pending (${total} other, ${source})`, evidence });
}

/** Evidence of a fact decided from several sources. */
export function combined(primary: Evidence, others: Array<{ label: string; reason: string }>): Evidence {
  if (others.length === 0) return primary;
  const tried = others.map((o) => `${o.label}: ${o.reason}`).join('; ');
  return { ...primary, source: primary.source ? `${primary.source}; ${tried}` : tried };
}

export function platformOf(p: string): PosturePlatform | undefined {
  return p === 'linux' || p === 'darwin' || p === 'win32' ? p : undefined;
}

export { commandLine };

/**
 * Bounds a probe by the collection deadline and turns any exception into an unknown fact, so one broken probe
 * never costs the report.
 */
export async function guarded(ctx: CollectContext, id: FactId, probe: () => Promise<Fact>): Promise<Fact> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Fact>((resolve) => {
    timer = setTimeout(
      () => resolve(unknown(id, 'collection timed out', { error: `no answer within the collection deadline` })),
      Math.max(0, ctx.deadline - Date.now()),
    );
    timer.unref();
  });
  try {
    return await Promise.race([
      probe().catch((err: unknown) => unknown(id, `collector error: ${err instanceof Error ? err.message : String(err)}`, { error: String(err) })),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function withDeadline<T>(ctx: CollectContext, p: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ctx.deadline - Date.now()));
    timer.unref();
  });
  try {
    return await Promise.race([p.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function emptyOs(platform: PosturePlatform): OsSummary {
  return { platform, distro: '', id: '', version: '', build: '', kernel: '', arch: '' };
}
