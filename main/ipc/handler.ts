/**
 * Main's side of the IPC contract, independent of the transport (Electron's ipcMain in the shell, the
 * preview's WebSocket): checks the sender frame against an allow-list, validates every request, runs the
 * service, validates the response, and turns every failure into a contract error envelope — a hostile
 * or broken renderer gets a clear refusal and the handler keeps serving.
 */
import {
  CallEnvelopeSchema,
  ParleyError,
  isCallName,
  isEventName,
  validateEvent,
  validateRequest,
  validateResponse,
  type CallName,
  type CallRequest,
  type CallResponse,
  type EventEnvelope,
  type EventName,
  type EventPayload,
  type ResultEnvelope,
} from './contract.ts';

/** One function per call; calls without a request may be invoked without an argument. */
export type Services = {
  [N in CallName]: (...args: {} extends CallRequest<N> ? [req?: CallRequest<N>] : [req: CallRequest<N>]) => Promise<CallResponse<N>>;
};

/** What the transport knows about who sent a message. */
export interface Sender {
  /** The URL of the frame that sent it (Electron: event.senderFrame.url). */
  url: string;
  /** False for iframes: only the app's top frame may call main. */
  topFrame: boolean;
}

export interface Logger {
  warn(msg: string): void;
  error(msg: string): void;
}

/** "app://parley", "http://127.0.0.1:5173": scheme + host, which works for custom schemes too (URL.origin is "null" there). */
export function originOf(url: string): string | null {
  if (typeof url !== 'string' || url.length > 8_192 || !URL.canParse(url)) return null;
  const u = new URL(url);
  if (!u.host) return null;
  return `${u.protocol}//${u.host}`;
}

export function isAllowedSender(sender: unknown, allowedOrigins: readonly string[]): boolean {
  if (!sender || typeof sender !== 'object') return false;
  const s = sender as Partial<Sender>;
  if (s.topFrame !== true || typeof s.url !== 'string') return false;
  const origin = originOf(s.url);
  return origin !== null && allowedOrigins.includes(origin);
}

const err = (code: ParleyError['code'], message: string): ResultEnvelope => ({ ok: false, error: { code, message } });

export function createCallHandler(opts: { services: Services; allowedOrigins: readonly string[]; log?: Logger }) {
  const log = opts.log ?? console;
  return async function handle(sender: Sender, raw: unknown): Promise<ResultEnvelope> {
    if (!isAllowedSender(sender, opts.allowedOrigins)) {
      log.warn(`ipc: refused a message from a foreign frame (${String(sender?.url).slice(0, 200)})`);
      return err('forbidden-sender', 'this frame is not allowed to call the Parley client core');
    }
    const env = CallEnvelopeSchema.safeParse(raw);
    if (!env.success) return err('invalid-request', 'malformed call envelope');
    const name = env.data.call;
    if (!isCallName(name)) return err('unknown-call', `no such call: ${name.slice(0, 64)}`);
    const req = validateRequest(name, env.data.request);
    if (!req.ok) return err(req.code, req.message);
    let value: unknown;
    try {
      value = await (opts.services[name] as (r: unknown) => Promise<unknown>)(req.value);
    } catch (e) {
      if (e instanceof ParleyError) return err(e.code, e.message);
      // Internal details (paths, stacks) stay in main's log, not in the renderer.
      log.error(`ipc: ${name} failed: ${(e as Error)?.stack ?? String(e)}`);
      return err('internal', `${name} failed unexpectedly`);
    }
    const res = validateResponse(name, value);
    if (!res.ok) {
      log.error(`ipc: ${res.message}`);
      return err('invalid-response', `${name} produced a result outside the contract`);
    }
    return { ok: true, value: res.value };
  };
}

/** Main → renderer events: validated before anything is sent; an invalid one is logged and dropped. */
export class EventHub {
  readonly #sinks = new Set<(e: EventEnvelope) => void>();
  readonly #log: Logger;
  constructor(log: Logger = console) {
    this.#log = log;
  }
  subscribe(sink: (e: EventEnvelope) => void): () => void {
    this.#sinks.add(sink);
    return () => void this.#sinks.delete(sink);
  }
  emit<E extends EventName>(event: E, payload: EventPayload<E>): boolean {
    if (!isEventName(event)) return false;
    const v = validateEvent(event, payload);
    if (!v.ok) {
      this.#log.error(`ipc: dropped event outside the contract: ${v.message}`);
      return false;
    }
    for (const sink of this.#sinks) {
      try {
        sink({ event, payload: v.value });
      } catch (e) {
        this.#log.warn(`ipc: an event sink failed: ${(e as Error).message}`);
      }
    }
    return true;
  }
}
