/**
 * JSON lines between the test and the drivers it starts inside network namespaces: the test sends
 * {id, call, args} on the child's stdin; the child answers {id, ok, result | error} and pushes
 * {event, payload} on stdout. Anything else a child prints (stderr, stray stdout) is kept for the failure
 * message, so a broken driver explains itself.
 *
 * API
 *   startChild(cmd, args, o?) → Child   spawned in its own process group (so teardown reaches its children)
 *     child.call(name, args?, timeoutMs?) → result     rejects with the driver's error, on exit, or at the timeout
 *     child.events                                      every event so far, in order
 *     child.until(pred, what, timeoutMs?)               polls the events until pred returns something
 *     child.stop(graceMs?)                              asks the driver to shut down, then SIGKILLs the group
 *     child.output()                                    stderr and stray stdout, for diagnostics
 *   serve(handlers) → emit(event, payload)             the driver side: reads stdin, dispatches, answers; when
 *                                                       stdin closes (the test died) runs handlers.shutdown and exits
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Event = { event: string; payload: unknown; at: number };
type Reply = { id: number; ok: boolean; result?: unknown; error?: string };

const MAX_LOG = 200_000;

export class Child {
  readonly proc: ChildProcess;
  readonly events: Event[] = [];
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #log = '';
  #exited: string | undefined;
  readonly name: string;

  constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.proc = proc;
    createInterface({ input: proc.stdout! }).on('line', (line) => this.#line(line));
    proc.stderr!.on('data', (d: Buffer) => this.#keep(d.toString()));
    // A driver that died closes its stdin: the exit handler below reports that, not an uncaught EPIPE.
    proc.stdin!.on('error', (e) => this.#keep(`stdin: ${e.message}\n`));
    proc.on('exit', (code, signal) => {
      this.#exited = `${name} exited (code ${code}, signal ${signal})`;
      for (const p of this.#pending.values()) p.reject(new Error(`${this.#exited}\n${this.output()}`));
      this.#pending.clear();
    });
  }

  #keep(s: string): void {
    this.#log = (this.#log + s).slice(-MAX_LOG);
  }

  #line(line: string): void {
    let m: unknown;
    try { m = JSON.parse(line); } catch { this.#keep(`${line}\n`); return; }
    if (typeof m !== 'object' || m === null) { this.#keep(`${line}\n`); return; }
    const o = m as Record<string, unknown>;
    if (typeof o.event === 'string') { this.events.push({ event: o.event, payload: o.payload, at: Date.now() }); return; }
    if (typeof o.id === 'number') {
      const r = o as Reply;
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.result); else p.reject(new Error(`${this.name}: ${r.error ?? 'failed'}`));
      return;
    }
    this.#keep(`${line}\n`);
  }

  output(): string {
    return this.#log;
  }

  call<T = unknown>(name: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.#exited}\n${this.output()}`));
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${name} got no answer in ${timeoutMs} ms\n${this.output().slice(-4_000)}`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => { clearTimeout(t); resolve(v as T); },
        reject: (e) => { clearTimeout(t); reject(e); },
      });
      this.proc.stdin!.write(`${JSON.stringify({ id, call: name, args })}\n`);
    });
  }

  of<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload as T);
  }

  async until<T>(f: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = f();
      if (v) return v;
      if (this.#exited) throw new Error(`waiting for ${what}: ${this.#exited}\n${this.output().slice(-4_000)}`);
      if (Date.now() > end) throw new Error(`${this.name}: timed out waiting for ${what}\n${this.output().slice(-4_000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Asks the driver to shut down cleanly; whatever is left of its process group after graceMs is killed. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#exited) {
      await Promise.race([this.call('shutdown', {}, graceMs).catch(() => {}), new Promise((r) => setTimeout(r, graceMs))]);
      await Promise.race([new Promise((r) => this.proc.once('exit', r)), new Promise((r) => setTimeout(r, 2_000))]);
    }
    try { if (this.proc.pid) process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

export function startChild(name: string, cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: o.env ?? process.env, ...(o.cwd ? { cwd: o.cwd } : {}) });
  return new Child(name, proc);
}

/** The driver side. Handlers may be async; a thrown error becomes the call's error. */
export function serve(handlers: Record<string, (args: Record<string, unknown>) => unknown>): (event: string, payload: unknown) => void {
  const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: { id?: unknown; call?: unknown; args?: unknown } | null;
    try { msg = JSON.parse(line) as typeof msg; } catch { return; }
    if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number' || typeof msg.call !== 'string') return;
    const id = msg.id;
    const args = typeof msg.args === 'object' && msg.args !== null ? msg.args as Record<string, unknown> : {};
    const h = Object.hasOwn(handlers, msg.call) ? handlers[msg.call] : undefined;
    if (!h) { out({ id, ok: false, error: `no such call ${msg.call.slice(0, 100)}` }); return; }
    Promise.resolve()
      .then(() => h(args))
      .then((result) => out({ id, ok: true, result: result ?? null }), (e: unknown) => out({ id, ok: false, error: (e as Error)?.message ?? String(e) }));
  });
  // The test that started us is gone (its end of stdin closed): shut down rather than linger in a namespace.
  rl.on('close', () => {
    const stop = handlers.shutdown;
    setTimeout(() => process.exit(0), 5_000).unref();
    Promise.resolve().then(() => stop?.({})).finally(() => process.exit(0));
  });
  return (event, payload) => out({ event, payload });
}
