/**
 * Plays QuickFIX-style acceptance definitions (../shared/fix/acceptance/fix44/*.def, format in
 * ../shared/fix/README.md) against an acceptor, over mutual TLS or plain TCP.
 *
 * API
 *   parseDefinition(text) → Step[]
 *   prepareOutgoing(msg, now?) → Buffer   fills <TIME±n>, BodyLength(9) and CheckSum(10) when absent
 *   matchMessage(expected, received) → string | null   null when it matches, else why not
 *   runDefinition(steps, connect, opts?) → Promise<RunResult>
 *
 * Matching (README): MsgType and every expected field must match; SendingTime(52), TransactTime(60) and
 * OrigSendingTime(122) only for format, BodyLength(9) and CheckSum(10) only for presence, Text(58) only
 * for presence. The received message may carry no field the expected one lacks (as strict as QuickFIX's
 * own runner); order is free except 8, 9, 35 first and 10 last. The received side is framed here with its
 * own small parser (not fix/framer.ts) so the harness does not share the bugs of the code under test.
 */
import type { Duplex } from 'node:stream';

export type Step =
  | { kind: 'connect'; conn: number; line: number }
  | { kind: 'disconnect'; conn: number; line: number }
  | { kind: 'send'; conn: number; msg: string; line: number }
  | { kind: 'expect'; conn: number; msg: string; line: number }
  | { kind: 'expectDisconnect'; conn: number; line: number };

export interface RunResult { ok: boolean; error?: string; steps: number }
export interface RunOptions {
  /** how long to wait for an expected message or disconnect, default 10 s */
  expectTimeoutMs?: number;
  log?: (line: string) => void;
}

const SOH = '\x01';
const TIME_FIELDS = new Set([52, 60, 122]);
const TIME_RE = /^\d{8}-\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;

export function parseDefinition(text: string): Step[] {
  const steps: Step[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith('#')) return;
    const kind = line[0];
    let rest = line.slice(1);
    let conn = 1;
    const m = /^(\d+),/.exec(rest);
    if (m) { conn = Number(m[1]); rest = rest.slice(m[0].length); }
    const n = i + 1;
    if (kind === 'i' && rest === 'CONNECT') steps.push({ kind: 'connect', conn, line: n });
    else if (kind === 'i' && rest === 'DISCONNECT') steps.push({ kind: 'disconnect', conn, line: n });
    else if (kind === 'e' && rest === 'DISCONNECT') steps.push({ kind: 'expectDisconnect', conn, line: n });
    else if (kind === 'I') steps.push({ kind: 'send', conn, msg: rest, line: n });
    else if (kind === 'E') steps.push({ kind: 'expect', conn, msg: rest, line: n });
    else throw new Error(`line ${n}: cannot read "${line.slice(0, 40)}"`);
  });
  return steps;
}

function fmtTime(d: Date): string {
  const p = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

function sum(s: string): number {
  let c = 0;
  for (let i = 0; i < s.length; i++) c += s.charCodeAt(i) & 0xff;
  return c & 0xff;
}

export function prepareOutgoing(msg: string, now = new Date()): Buffer {
  const text = msg.replace(/<TIME([+-]\d+)?>/g, (_, off: string | undefined) =>
    fmtTime(new Date(now.getTime() + (off ? Number(off) * 1000 : 0))));
  const parts = text.split(SOH);
  if (parts[parts.length - 1] === '') parts.pop();
  let fields = parts;
  const hasTag = (t: string): boolean => fields.some((f) => f.startsWith(`${t}=`));
  const trailer = fields.findIndex((f) => f.startsWith('10='));
  if (!hasTag('9')) {
    const bodyFields = fields.filter((f, i) => !f.startsWith('8=') && i !== trailer);
    const bodyLen = bodyFields.reduce((n, f) => n + Buffer.byteLength(f, 'latin1') + 1, 0);
    const at = fields[0]?.startsWith('8=') ? 1 : 0;
    fields = [...fields.slice(0, at), `9=${bodyLen}`, ...fields.slice(at)];
  }
  let out = fields.join(SOH) + SOH;
  if (!fields.some((f) => f.startsWith('10='))) {
    out += `10=${String(sum(out)).padStart(3, '0')}${SOH}`;
  }
  return Buffer.from(out, 'latin1');
}

function splitFields(msg: string): Array<[number, string]> {
  const parts = msg.split(SOH);
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((p) => {
    const eq = p.indexOf('=');
    return [Number(eq < 0 ? NaN : p.slice(0, eq)), eq < 0 ? p : p.slice(eq + 1)];
  });
}

export function matchMessage(expected: string, received: string): string | null {
  const exp = splitFields(expected);
  const got = splitFields(received);
  if (got[0]?.[0] !== 8 || got[1]?.[0] !== 9 || got[2]?.[0] !== 35) return 'received message does not start 8, 9, 35';
  if (got[got.length - 1]?.[0] !== 10) return 'received message does not end with 10';
  const byTag = (fs: Array<[number, string]>): Map<number, string[]> => {
    const m = new Map<number, string[]>();
    for (const [t, v] of fs) m.set(t, [...(m.get(t) ?? []), v]);
    return m;
  };
  const e = byTag(exp);
  const g = byTag(got);
  for (const [tag, values] of e) {
    const have = g.get(tag);
    if (!have) return `field ${tag} missing (expected ${values.join(',')})`;
    if (have.length !== values.length) return `field ${tag} appears ${have.length}x, expected ${values.length}x`;
    if (tag === 9 || tag === 10 || tag === 58) continue;
    if (TIME_FIELDS.has(tag)) {
      if (!have.every((v) => TIME_RE.test(v))) return `field ${tag} is not a UTCTimestamp: ${have.join(',')}`;
      continue;
    }
    for (let i = 0; i < values.length; i++) {
      if (have[i] !== values[i]) return `field ${tag}: expected ${values[i]}, received ${have[i]}`;
    }
  }
  // 9 and 10 are framing every wire message carries, even where a definition leaves them out.
  for (const tag of g.keys()) if (!e.has(tag) && tag !== 9 && tag !== 10) return `unexpected field ${tag}=${g.get(tag)!.join(',')}`;
  return null;
}

/** A connection as the runner sees it: raw bytes in and out, and whether the peer has closed it. */
export class Peer {
  #sock: Duplex;
  #buf = '';
  #msgs: string[] = [];
  #closed = false;
  #wake: (() => void) | null = null;
  constructor(sock: Duplex) {
    this.#sock = sock;
    sock.on('data', (b: Buffer) => { this.#buf += b.toString('latin1'); this.#cut(); this.#notify(); });
    sock.on('close', () => { this.#closed = true; this.#notify(); });
    sock.on('end', () => { this.#closed = true; this.#notify(); });
    sock.on('error', () => { this.#closed = true; this.#notify(); });
  }
  #notify(): void { const w = this.#wake; this.#wake = null; w?.(); }
  #cut(): void {
    for (;;) {
      const m = /^8=[^\x01]*\x019=(\d+)\x01/.exec(this.#buf);
      if (!m) {
        const i = this.#buf.indexOf('8=', 1);
        if (this.#buf.length > 0 && !this.#buf.startsWith('8=') && i > 0) { this.#buf = this.#buf.slice(i); continue; }
        return;
      }
      const end = m[0].length + Number(m[1]);
      const tail = /^10=\d{3}\x01/.exec(this.#buf.slice(end));
      if (this.#buf.length < end + 7) return;
      if (!tail) { this.#msgs.push(`GARBLED:${this.#buf.slice(0, end + 7)}`); this.#buf = this.#buf.slice(end + 7); continue; }
      this.#msgs.push(this.#buf.slice(0, end + tail[0].length));
      this.#buf = this.#buf.slice(end + tail[0].length);
    }
  }
  write(b: Buffer): void { if (!this.#closed && this.#sock.writable) this.#sock.write(b); }
  close(): void { this.#sock.destroy(); }
  async next(timeoutMs: number): Promise<string | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#msgs.shift();
      if (m !== undefined) return m;
      if (this.#closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }
}

const show = (s: string): string => s.replaceAll(SOH, '|');

export async function runDefinition(steps: Step[], connect: () => Promise<Duplex>, opts: RunOptions = {}): Promise<RunResult> {
  const timeout = opts.expectTimeoutMs ?? 10_000;
  const peers = new Map<number, Peer>();
  const log = opts.log ?? (() => undefined);
  let i = 0;
  try {
    for (; i < steps.length; i++) {
      const s = steps[i]!;
      const peer = peers.get(s.conn);
      const at = `line ${s.line}`;
      switch (s.kind) {
        case 'connect': {
          peers.get(s.conn)?.close();
          peers.set(s.conn, new Peer(await connect()));
          break;
        }
        case 'disconnect': peer?.close(); break;
        case 'send': {
          if (!peer) return { ok: false, error: `${at}: no connection ${s.conn}`, steps: i };
          const b = prepareOutgoing(s.msg);
          log(`> ${show(b.toString('latin1'))}`);
          peer.write(b);
          break;
        }
        case 'expect': {
          if (!peer) return { ok: false, error: `${at}: no connection ${s.conn}`, steps: i };
          const got = await peer.next(timeout);
          if (got === 'closed' || got === 'timeout') {
            return { ok: false, error: `${at}: expected ${show(s.msg)} but the connection ${got === 'closed' ? 'was closed' : 'stayed silent'}`, steps: i };
          }
          log(`< ${show(got)}`);
          const why = matchMessage(s.msg, got);
          if (why) return { ok: false, error: `${at}: ${why}\n  expected ${show(s.msg)}\n  received ${show(got)}`, steps: i };
          break;
        }
        case 'expectDisconnect': {
          if (!peer) return { ok: false, error: `${at}: no connection ${s.conn}`, steps: i };
          const got = await peer.next(timeout);
          if (got === 'timeout') return { ok: false, error: `${at}: expected a disconnect, the connection stayed open`, steps: i };
          if (got !== 'closed') return { ok: false, error: `${at}: expected a disconnect, received ${show(got)}`, steps: i };
          break;
        }
      }
    }
    return { ok: true, steps: i };
  } finally {
    for (const p of peers.values()) p.close();
  }
}
