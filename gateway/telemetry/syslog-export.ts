/**
 * The SIEM export: audit entries leave the gateway as RFC 5424 syslog messages over TLS (RFC 5425,
 * octet-counted framing), each carrying one ECS JSON document (ecs.ts), at least once.
 *
 * API
 *   class SyslogExporter
 *     static start(o: SyslogExportOptions): Promise<SyslogExporter>   reads the cursor, connects in the background
 *     nudge()      new audit entries were written: send them now (a poll every pollMs catches anything else)
 *     stats(): ExportStats
 *     close(): Promise<void>   flushes, half-closes and waits for the receiver's close; saves the cursor
 *
 * How it works, and why it never blocks trading: it TAILS the audit log file (audit-tail.ts) rather than sitting
 * on the append path, so the audit writes trading waits for are exactly as before. The only memory it holds is
 * one read batch (batchBytes) and what the socket has not flushed yet (at most about maxBufferedBytes: it reads
 * the next batch only when the socket's buffer is below that, and waits for 'drain' otherwise). A receiver down
 * for minutes or hours costs nothing but lag (stats().lag, the metric parley_siem_export_lag_entries): the events
 * wait in the audit log itself.
 *
 * At least once: syslog over TLS has no application acknowledgement, so bytes accepted by the socket may still die
 * in the receiver's buffers when it stops. The exporter therefore remembers the last replayWindow entries (and at
 * least replayBytes of them) it handed to the socket; after a connection loss it sends them again, and the on-disk
 * cursor (cursor.ts) points at the oldest of them, so a gateway crash resends them too. A clean close (the receiver
 * read to our end of stream and closed its side) confirms everything sent. Duplicates are therefore bounded by the
 * window and carry the same event.id (the entry's chain hash), which is what the receiver de-duplicates on. An
 * event is lost only if more than the window was in flight when the receiver died; the default replayBytes
 * (8 MiB) is above Linux's default maximum TCP send plus receive buffers on one connection.
 */
import { hostname as osHostname } from 'node:os';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { AuditTail, type TailLine } from './audit-tail.ts';
import { loadCursor, saveCursor, START, type Cursor } from './cursor.ts';
import { toEcs, type AuditEntry } from './ecs.ts';
import { escapeNonAscii, octetFrame, severityOf, syslogMessage } from './syslog-format.ts';

export type SyslogExportOptions = {
  auditFile: string;
  cursorFile: string;
  host: string;
  port: number;
  /** PEM: the CA(s) the receiver's certificate must chain to. */
  ca: string;
  /** PEM client certificate and key, for receivers that authenticate their senders (rsyslog AuthMode x509/name). */
  cert?: string;
  key?: string;
  /** The name the receiver's certificate must carry; default `host`. */
  serverName?: string;
  facility?: number;
  appName?: string;
  hostname?: string;
  replayWindow?: number;
  replayBytes?: number;
  maxBufferedBytes?: number;
  batchBytes?: number;
  /** Longest syslog message sent; a bigger entry goes with its data replaced by a note (the receiver's limit). */
  maxMessageBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pollMs?: number;
  connectTimeoutMs?: number;
  /** State changes worth an audit line (connected after an outage, down, cursor reset, unreadable line). */
  onEvent?: (type: string, data: Record<string, unknown>) => void;
};

export type ExportStats = {
  connected: boolean;
  /** Seq of the last entry handed to the socket (0: none). */
  sentSeq: number;
  /** Seq of the last entry the receiver is taken to hold (before the replay window). */
  confirmedSeq: number;
  /** Entries of the log not sent yet, as of the last read (file size known, entries counted when read). */
  lag: number;
  reconnects: number;
  messages: number;
  bytes: number;
};

type Sent = Cursor & { bytes: number };

export class SyslogExporter {
  readonly #o: Required<Omit<SyslogExportOptions, 'cert' | 'key' | 'onEvent' | 'serverName'>> & Pick<SyslogExportOptions, 'cert' | 'key' | 'onEvent' | 'serverName'>;
  readonly #tail: AuditTail;
  /** The next entry to read and send. */
  #pos: Cursor;
  /** Entries handed to the socket and not yet taken as delivered, oldest first (a ring: #head is the oldest). */
  #window: Sent[] = [];
  #head = 0;
  #windowBytes = 0;
  /** The loaded cursor still has to be checked against the first entry read at it. */
  #verify = true;
  #sock: TLSSocket | undefined;
  #ready = false;
  #gen = 0;
  #pumping = false;
  #again = false;
  #closing = false;
  #backoff: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout;
  #saving: Promise<void> = Promise.resolve();
  #savedKey = '';
  #downSince: number | null = null;
  #downError = '';
  #lastSize = 0;
  #stats: ExportStats = { connected: false, sentSeq: 0, confirmedSeq: 0, lag: 0, reconnects: 0, messages: 0, bytes: 0 };

  private constructor(o: SyslogExportOptions, tail: AuditTail, pos: Cursor) {
    this.#o = {
      facility: 13, appName: 'parley-gateway', hostname: osHostname(), replayWindow: 1000, replayBytes: 8 * 1024 * 1024,
      maxBufferedBytes: 256 * 1024, batchBytes: 256 * 1024, maxMessageBytes: 64 * 1024, reconnectMinMs: 250,
      reconnectMaxMs: 10_000, pollMs: 500, connectTimeoutMs: 10_000, ...o,
    };
    this.#tail = tail;
    this.#pos = pos;
    this.#backoff = this.#o.reconnectMinMs;
    this.#stats.confirmedSeq = pos.seq - 1;
    this.#poll = setInterval(() => this.nudge(), this.#o.pollMs);
    this.#poll.unref();
  }

  static async start(o: SyslogExportOptions): Promise<SyslogExporter> {
    const tail = await AuditTail.open(o.auditFile);
    const c = loadCursor(o.cursorFile);
    if (c === 'invalid') o.onEvent?.('telemetry.syslog-cursor-reset', { file: o.cursorFile, reason: 'the cursor file is not a cursor; sending the log from its start' });
    const size = await tail.size();
    let pos = c && c !== 'invalid' ? c : { ...START };
    if (pos.offset > size) {
      o.onEvent?.('telemetry.syslog-cursor-reset', { file: o.cursorFile, reason: `the cursor (byte ${pos.offset}) is past the end of the audit log (${size} bytes): another log; sending it from its start` });
      pos = { ...START };
    }
    const x = new SyslogExporter(o, tail, pos);
    x.#connect();
    return x;
  }

  stats(): ExportStats {
    return { ...this.#stats, connected: this.#ready };
  }

  nudge(): void {
    void this.#pump();
    this.#persist();
  }

  // ------------------------------------------------------------------ connection
  #connect(): void {
    if (this.#closing) return;
    const gen = ++this.#gen;
    const o = this.#o;
    const sock = connect({
      host: o.host, port: o.port, ca: o.ca, ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
      ...(isIP(o.serverName ?? o.host) ? {} : { servername: o.serverName ?? o.host }), minVersion: 'TLSv1.2', rejectUnauthorized: true,
    });
    this.#sock = sock;
    sock.setTimeout(o.connectTimeoutMs, () => sock.destroy(new Error('TLS handshake timed out')));
    sock.once('secureConnect', () => {
      if (gen !== this.#gen) return;
      sock.setTimeout(0);
      sock.setKeepAlive(true, 30_000);
      this.#ready = true;
      this.#backoff = o.reconnectMinMs;
      if (this.#downSince !== null) {
        o.onEvent?.('telemetry.syslog-connected', { host: o.host, port: o.port, downMs: Date.now() - this.#downSince, resendFrom: this.#pos.seq });
        this.#downSince = null;
      }
      void this.#pump();
    });
    sock.on('drain', () => { if (gen === this.#gen) void this.#pump(); });
    sock.on('data', () => { /* a syslog receiver sends nothing; read and drop so the socket never stalls */ });
    sock.on('error', (e) => { if (gen === this.#gen) this.#downError = (e as NodeJS.ErrnoException).code ?? e.message; });
    sock.on('close', () => {
      if (gen !== this.#gen) return;
      this.#lost(this.#downError || 'connection closed by the receiver');
    });
  }

  /** The connection is gone: everything in the window is sent again on the next one. */
  #lost(error: string): void {
    this.#ready = false;
    this.#sock = undefined;
    this.#gen++;
    const oldest = this.#window[this.#head];
    if (oldest) this.#pos = { offset: oldest.offset, seq: oldest.seq, prev: oldest.prev };
    this.#window = [];
    this.#head = 0;
    this.#windowBytes = 0;
    this.#stats.sentSeq = this.#pos.seq - 1;
    if (this.#closing) return;
    if (this.#downSince === null) {
      this.#downSince = Date.now();
      this.#o.onEvent?.('telemetry.syslog-down', { host: this.#o.host, port: this.#o.port, error, resendFrom: this.#pos.seq });
    }
    this.#downError = '';
    this.#stats.reconnects++;
    const wait = this.#backoff;
    this.#backoff = Math.min(this.#o.reconnectMaxMs, this.#backoff * 2);
    this.#reconnectTimer = setTimeout(() => this.#connect(), wait);
    this.#reconnectTimer.unref();
  }

  // ------------------------------------------------------------------ sending
  async #pump(): Promise<void> {
    if (this.#pumping) { this.#again = true; return; }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        await this.#sendAvailable();
      } while (this.#again);
    } catch (e) {
      this.#o.onEvent?.('telemetry.syslog-error', { error: (e as Error).message });
    } finally {
      this.#pumping = false;
    }
  }

  async #sendAvailable(): Promise<void> {
    for (;;) {
      const sock = this.#sock;
      const gen = this.#gen;
      if (!sock || !this.#ready || this.#closing || sock.writableLength >= this.#o.maxBufferedBytes) return;
      const from = this.#pos.offset;
      const batch = await this.#tail.read(from, this.#o.batchBytes);
      this.#lastSize = await this.#tail.size();
      if (gen !== this.#gen || this.#pos.offset !== from) return; // the connection changed while reading
      if (batch.lines.length === 0) { this.#updateLag(0); return; }
      for (const l of batch.lines) this.#sendLine(sock, l);
      this.#updateLag(this.#lastSize - this.#pos.offset);
    }
  }

  #sendLine(sock: TLSSocket, l: TailLine): void {
    if ('bad' in l) {
      this.#o.onEvent?.('telemetry.syslog-skipped', { offset: l.start, reason: l.bad });
      this.#pos = { ...this.#pos, offset: l.end };
      return;
    }
    const e = l.entry;
    if (this.#verify || e.seq !== this.#pos.seq || e.prev !== this.#pos.prev) {
      if (e.seq !== this.#pos.seq || e.prev !== this.#pos.prev) {
        this.#o.onEvent?.('telemetry.syslog-cursor-reset', {
          reason: this.#verify ? 'the cursor does not point at the entry it names in this audit log' : 'the audit chain does not continue where the export is',
          expected: { seq: this.#pos.seq, offset: this.#pos.offset }, found: { seq: e.seq },
        });
      }
      this.#verify = false;
    }
    const frame = this.#frame(e);
    const sent: Sent = { offset: l.start, seq: e.seq, prev: e.prev, bytes: frame.length };
    this.#window.push(sent);
    this.#windowBytes += frame.length;
    this.#trimWindow();
    sock.write(frame);
    this.#pos = { offset: l.end, seq: e.seq + 1, prev: e.hash };
    this.#stats.sentSeq = e.seq;
    this.#stats.messages++;
    this.#stats.bytes += frame.length;
  }

  /** Entries beyond both the count and the byte window are taken as delivered. */
  #trimWindow(): void {
    const o = this.#o;
    while (this.#window.length - this.#head > o.replayWindow) {
      const first = this.#window[this.#head]!;
      if (this.#windowBytes - first.bytes < o.replayBytes) break;
      this.#windowBytes -= first.bytes;
      this.#stats.confirmedSeq = first.seq;
      this.#head++;
    }
    // Compact the ring now and then instead of shifting on every entry.
    if (this.#head > 4096 && this.#head * 2 > this.#window.length) {
      this.#window = this.#window.slice(this.#head);
      this.#head = 0;
    }
  }

  #frame(e: AuditEntry): Buffer {
    const o = this.#o;
    const build = (entry: AuditEntry) => octetFrame(syslogMessage({
      facility: o.facility, severity: severityOf(entry.type === 'alert' ? 'alert' : entry.type), timestamp: entry.ts,
      hostname: o.hostname, appName: o.appName, procId: String(process.pid), msgId: entry.type,
      sd: { id: 'parley@32473', params: { seq: String(entry.seq), id: entry.hash } },
      msg: escapeNonAscii(JSON.stringify(toEcs(entry, o.hostname))),
    }));
    const f = build(e);
    if (f.length <= o.maxMessageBytes) return f;
    return build({ ...e, data: { truncated: true, bytes: f.length, note: `entry larger than telemetry.syslog.maxMessageBytes (${o.maxMessageBytes}); the full entry is in the gateway's audit log` } });
  }

  #updateLag(bytesLeft: number): void {
    // Entries are counted when read; until then, an estimate from the bytes left and the mean entry size so far.
    const mean = this.#stats.messages > 0 ? this.#stats.bytes / this.#stats.messages : 512;
    this.#stats.lag = bytesLeft <= 0 ? 0 : Math.max(1, Math.round(bytesLeft / mean));
  }

  // ------------------------------------------------------------------ cursor
  /** The resume point: the oldest entry still in the replay window, else the next to send. */
  #resumePoint(): Cursor {
    const oldest = this.#window[this.#head];
    return oldest ? { offset: oldest.offset, seq: oldest.seq, prev: oldest.prev } : this.#pos;
  }

  #persist(): void {
    const c = this.#resumePoint();
    const key = `${c.offset}:${c.seq}`;
    if (key === this.#savedKey) return;
    this.#savedKey = key;
    this.#saving = this.#saving.then(() => saveCursor(this.#o.cursorFile, c)).catch((e: unknown) => {
      this.#savedKey = '';
      this.#o.onEvent?.('telemetry.syslog-cursor-failed', { file: this.#o.cursorFile, error: (e as Error).message });
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    clearInterval(this.#poll);
    // A last send of what is already written, then a clean end of stream.
    await this.#pump();
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    const sock = this.#sock;
    // From here the socket's close is this close's, not a connection loss to recover from.
    this.#gen++;
    if (sock && this.#ready) {
      const cleanly = await new Promise<boolean>((resolve) => {
        let peerEnded = false;
        const t = setTimeout(() => { sock.destroy(); resolve(false); }, 5_000);
        sock.once('end', () => { peerEnded = true; });
        sock.once('close', (hadError: boolean) => { clearTimeout(t); resolve(peerEnded && !hadError); });
        sock.end();
      });
      if (cleanly) {
        // The receiver read up to our end of stream before it closed: everything sent is delivered.
        this.#window = [];
        this.#head = 0;
        this.#windowBytes = 0;
        this.#stats.confirmedSeq = this.#stats.sentSeq;
      }
    } else {
      sock?.destroy();
    }
    this.#ready = false;
    this.#persist();
    await this.#saving;
    await this.#tail.close();
  }
}
