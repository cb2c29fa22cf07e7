import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { emptyOs, fact, type CollectContext, type PlatformCollector } from './collectors/common.ts';
import { collectDarwin } from './collectors/darwin.ts';
import { collectLinux } from './collectors/linux.ts';
import { collectWin32 } from './collectors/win32.ts';
import { FACT_IDS, type Fact, type PosturePlatform, type PostureReport } from './report.ts';
import { createExecFileRunner, DEFAULT_COMMAND_TIMEOUT_MS, type CommandRunner } from './runner.ts';
import { systemInformation, type SystemInfo } from './system-info.ts';
import { AGENT_VERSION } from './version.ts';

export type { Fact, OsSummary, PosturePlatform, PostureReport } from './report.ts';
export type { CommandResult, CommandRunner, FileResult } from './runner.ts';
export { createExecFileRunner } from './runner.ts';
export { AGENT_VERSION } from './version.ts';

const COLLECTORS: Record<PosturePlatform, PlatformCollector> = { linux: collectLinux, darwin: collectDarwin, win32: collectWin32 };

/** Slack for the probes' own bookkeeping after their last command's timeout. */
const DEADLINE_GRACE_MS = 1_000;
export const DEFAULT_MAX_PATCH_AGE_DAYS = 30;

export interface CollectOptions {
  runner?: CommandRunner;
  systemInfo?: SystemInfo;
  /** Which OS's collectors to run; defaults to this process's platform. */
  platform?: PosturePlatform;
  commandTimeoutMs?: number;
  maxPatchAgeDays?: number;
  now?: () => Date;
}

/** One collection: every fact comes back pass, fail or unknown within commandTimeoutMs (+ a little). */
export async function collectPosture(opts: CollectOptions = {}): Promise<PostureReport> {
  const now = opts.now?.() ?? new Date();
  const commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const platform = opts.platform ?? hostPlatform();
  const ctx: CollectContext = {
    runner: opts.runner ?? createExecFileRunner({ timeoutMs: commandTimeoutMs }),
    si: opts.systemInfo ?? systemInformation,
    now,
    commandTimeoutMs,
    maxPatchAgeDays: opts.maxPatchAgeDays ?? DEFAULT_MAX_PATCH_AGE_DAYS,
    deadline: Date.now() + commandTimeoutMs + DEADLINE_GRACE_MS,
  };
  if (!platform) {
    const facts = FACT_IDS.filter((id) => id !== 'agent.version').map((id) =>
      fact(id, 'unknown', { reason: `unsupported platform ${process.platform}`, evidence: { source: 'process.platform', error: process.platform } }),
    );
    return { agentVersion: AGENT_VERSION, collectedAt: now.toISOString(), platform: 'linux', os: emptyOs('linux'), facts: [...facts, agentFact()] };
  }
  const { os, facts } = await COLLECTORS[platform](ctx);
  return { agentVersion: AGENT_VERSION, collectedAt: now.toISOString(), platform, os, facts: order([...facts, agentFact()]) };
}

function hostPlatform(): PosturePlatform | undefined {
  const p = process.platform;
  return p === 'linux' || p === 'darwin' || p === 'win32' ? p : undefined;
}

function agentFact(): Fact {
  return fact('agent.version', 'pass', { value: AGENT_VERSION, reason: `parley-agent ${AGENT_VERSION}`, evidence: { source: 'agent/package.json' } });
}

function order(facts: Fact[]): Fact[] {
  const rank = (id: string): number => {
    const i = (FACT_IDS as readonly string[]).indexOf(id);
    return i < 0 ? FACT_IDS.length : i;
  };
  return facts.sort((a, b) => rank(a.id) - rank(b.id));
}

export interface PostureAgentOptions extends CollectOptions {
  ttlMs?: number;
  intervalMs?: number;
  /** How often the agent looks for a network change or a wake from sleep on its own (main/ may also call in). */
  watchMs?: number;
}

export const DEFAULT_TTL_MS = 10 * 60_000;
// A tick that arrives this much later than planned means the machine slept.
const SLEEP_GAP_MS = 30_000;

/**
 * Cached posture with a time to live. Readers get the cache at once; collection runs in the background on an
 * interval, on wake and on a network change, one at a time, each bounded by the command timeout.
 * Events: 'report' (PostureReport) after each collection, 'failed' (Error) if one throws.
 */
export class PostureAgent extends EventEmitter {
  readonly #opts: PostureAgentOptions;
  readonly #ttlMs: number;
  readonly #intervalMs: number;
  readonly #watchMs: number;
  #cache: PostureReport | undefined;
  #cachedAt = 0;
  #inflight: Promise<PostureReport> | undefined;
  #again = false;
  #interval: NodeJS.Timeout | undefined;
  #watch: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #netPrint = '';
  #collections = 0;

  constructor(opts: PostureAgentOptions & { commandTimeoutMs?: number; runner?: CommandRunner } = {}) {
    super();
    this.#opts = opts;
    this.#ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.#intervalMs = opts.intervalMs ?? this.#ttlMs;
    this.#watchMs = opts.watchMs ?? 5_000;
  }

  /**
   * The cached report (fresh or not), at once. When it is missing or past its time to live, a background refresh
   * starts (one at a time), so the next reader gets fresh facts without anyone having waited.
   */
  current(): PostureReport | undefined {
    if (!this.isFresh() && !this.#inflight) this.#background();
    return this.#cache;
  }

  isFresh(): boolean {
    return this.#cache !== undefined && Date.now() - this.#cachedAt < this.#ttlMs;
  }

  /** How many collections have completed; lets tests and the UI wait for the next one. */
  get collections(): number {
    return this.#collections;
  }

  async get(): Promise<PostureReport> {
    if (this.#cache && this.isFresh()) return this.#cache;
    return this.refresh();
  }

  /** Collects now, or joins the collection already running. */
  refresh(): Promise<PostureReport> {
    if (this.#inflight) return this.#inflight;
    // #inflight is cleared before 'report' is emitted, so a reader reacting to the event sees an idle agent.
    const settle = (): void => {
      this.#inflight = undefined;
      if (this.#again) {
        this.#again = false;
        queueMicrotask(() => this.#background());
      }
    };
    const run = collectPosture(this.#opts).then(
      (report) => {
        this.#cache = report;
        this.#cachedAt = Date.now();
        this.#collections++;
        settle();
        this.emit('report', report);
        return report;
      },
      (err: unknown) => {
        settle();
        this.emit('failed', err instanceof Error ? err : new Error(String(err)));
        throw err;
      },
    );
    this.#inflight = run;
    return run;
  }

  start(): void {
    if (this.#interval) return;
    this.#interval = setInterval(() => this.#background(), this.#intervalMs);
    this.#interval.unref();
    this.#lastTick = Date.now();
    this.#netPrint = networkFingerprint();
    this.#watch = setInterval(() => this.#check(), this.#watchMs);
    this.#watch.unref();
    this.#background();
  }

  stop(): void {
    clearInterval(this.#interval);
    clearInterval(this.#watch);
    this.#interval = this.#watch = undefined;
  }

  onNetworkChange(): void {
    this.#followUp();
  }

  onResume(): void {
    this.#followUp();
  }

  // A collection already running may have read the state from before the event: run once more after it.
  #followUp(): void {
    if (this.#inflight) this.#again = true;
    else this.#background();
  }

  #background(): void {
    this.refresh().catch(() => undefined);
  }

  #check(): void {
    const now = Date.now();
    const slept = now - this.#lastTick > this.#watchMs + SLEEP_GAP_MS;
    this.#lastTick = now;
    const print = networkFingerprint();
    const netChanged = print !== this.#netPrint;
    this.#netPrint = print;
    if (slept) this.onResume();
    else if (netChanged) this.onNetworkChange();
  }
}

function networkFingerprint(): string {
  try {
    const nics = networkInterfaces();
    return Object.keys(nics)
      .sort()
      .map((n) => `${n}=${(nics[n] ?? []).map((a) => a.address).sort().join(',')}`)
      .join(';');
  } catch {
    return '';
  }
}
