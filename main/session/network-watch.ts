/**
 * Notices what makes a live TLS connection stale on a laptop: the machine's addresses changed (Wi-Fi to
 * tethering, VPN up or down, DHCP renewal) or it slept. Polls os.networkInterfaces() on an interval and
 * diffs a fingerprint of the external addresses; a tick that arrives far later than scheduled means the
 * process was suspended. Electron's powerMonitor 'resume' can call notifyResume() directly as well.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export function networkFingerprint(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  const out: string[] = [];
  for (const [name, infos] of Object.entries(ifaces)) {
    for (const i of infos ?? []) if (!i.internal) out.push(`${name}/${i.family}/${i.address}`);
  }
  return out.sort().join(',');
}

export interface NetworkWatcherOptions {
  intervalMs?: number;
  /** A tick later than this beyond its schedule counts as a resume from sleep. */
  sleepSlackMs?: number;
  read?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  now?: () => number;
}

export class NetworkWatcher extends EventEmitter<{ change: [{ before: string; after: string }]; resume: [{ sleptMs: number }] }> {
  readonly #interval: number;
  readonly #slack: number;
  readonly #read: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #last = '';
  #lastTick = 0;

  constructor(o: NetworkWatcherOptions = {}) {
    super();
    this.#interval = o.intervalMs ?? 5_000;
    this.#slack = o.sleepSlackMs ?? Math.max(30_000, this.#interval * 3);
    this.#read = o.read ?? networkInterfaces;
    this.#now = o.now ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    this.#last = this.#safeFingerprint();
    this.#lastTick = this.#now();
    this.#timer = setInterval(() => this.tick(), this.#interval);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  notifyResume(sleptMs = 0): void {
    this.emit('resume', { sleptMs });
  }

  /** One poll (the interval calls it; tests may too). */
  tick(): void {
    const now = this.#now();
    const late = now - this.#lastTick - this.#interval;
    this.#lastTick = now;
    if (late > this.#slack) this.notifyResume(late);
    const fp = this.#safeFingerprint();
    if (fp !== this.#last) {
      const before = this.#last;
      this.#last = fp;
      this.emit('change', { before, after: fp });
    }
  }

  #safeFingerprint(): string {
    try {
      return networkFingerprint(this.#read());
    } catch {
      // Some sandboxes refuse the syscall; unknown is not a change.
      return this.#last;
    }
  }
}
