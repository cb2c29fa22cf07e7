/**
 * The gateway's telemetry, composed from its config: the SIEM export (syslog-export.ts), the metrics
 * (metrics.ts) and their listener (metrics-server.ts). server.ts makes one and taps the audit port through it.
 *
 * API
 *   class Telemetry
 *     static start(o): Promise<Telemetry>   starts what telemetry.* enables (nothing by default)
 *     tap(audit): Audit      the same port, also counting each event/alert for the metrics and telling the export
 *     metrics; metricsPort (0 when off); exporter (undefined when off)
 *     close(): Promise<void> flushes the export and saves its cursor
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { GatewayConfig } from '../config.ts';
import type { Audit } from '../session/ports.ts';
import { GatewayMetrics } from './metrics.ts';
import { serveMetrics, type MetricsServer } from './metrics-server.ts';
import { SyslogExporter, type ExportStats } from './syslog-export.ts';

export type TelemetryOptions = {
  cfg: GatewayConfig;
  /** The gateway's CA, certificate and key (PEM): the metrics listener's TLS and the export's default CA. */
  caPem: string; serverCert: string; serverKey: string;
  auditSeq: () => number;
  sessions: () => number;
  /** Where the export's own state changes are audited. */
  audit: Audit;
};

function readConfigured(file: string, what: string, base: string): string {
  const abs = isAbsolute(file) ? file : resolve(base, file);
  try {
    return readFileSync(abs, 'utf8');
  } catch (e) {
    throw new Error(`telemetry.syslog.${what} ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export class Telemetry {
  readonly metrics: GatewayMetrics;
  exporter: SyslogExporter | undefined;
  #server: MetricsServer | undefined;
  #nudge = false;

  private constructor(metrics: GatewayMetrics) {
    this.metrics = metrics;
  }

  get metricsPort(): number {
    return this.#server?.port ?? 0;
  }

  static async start(o: TelemetryOptions): Promise<Telemetry> {
    const t: Telemetry = new Telemetry(new GatewayMetrics({
      sessions: o.sessions, auditSeq: o.auditSeq, exportStats: (): ExportStats | undefined => t.exporter?.stats(),
    }));
    try {
      const { syslog, metrics } = o.cfg.telemetry;
      if (syslog.enabled) {
        const base = o.cfg.source === '<inline>' ? process.cwd() : dirname(o.cfg.source);
        t.exporter = await SyslogExporter.start({
          auditFile: o.cfg.paths.audit,
          cursorFile: isAbsolute(syslog.cursorFile) ? syslog.cursorFile : resolve(o.cfg.paths.dataDir, syslog.cursorFile),
          host: syslog.host, port: syslog.port,
          ca: syslog.caFile ? readConfigured(syslog.caFile, 'caFile', base) : o.caPem,
          ...(syslog.certFile && syslog.keyFile ? { cert: readConfigured(syslog.certFile, 'certFile', base), key: readConfigured(syslog.keyFile, 'keyFile', base) } : {}),
          ...(syslog.serverName ? { serverName: syslog.serverName } : {}),
          ...(syslog.hostname ? { hostname: syslog.hostname } : {}),
          facility: syslog.facility, appName: syslog.appName, replayWindow: syslog.replayWindow, replayBytes: syslog.replayBytes,
          maxBufferedBytes: syslog.maxBufferedBytes, maxMessageBytes: syslog.maxMessageBytes, pollMs: syslog.pollMs,
          onEvent: (type, data) => o.audit.event(type, data),
        });
      }
      if (metrics.enabled) {
        t.#server = await serveMetrics({
          registry: t.metrics.registry, host: metrics.host, port: metrics.port,
          ...(metrics.tls ? { tls: { cert: o.serverCert, key: o.serverKey, ca: o.caPem } } : {}),
        });
      }
    } catch (e) {
      await t.close().catch(() => undefined);
      throw e;
    }
    return t;
  }

  tap(inner: Audit): Audit {
    return {
      event: (type, data) => { inner.event(type, data); this.metrics.observe(type, data); this.#told(); },
      alert: (kind, data) => { inner.alert(kind, data); this.metrics.observe('alert', { ...data, kind }); this.#told(); },
    };
  }

  /** An audit write was asked for: the export looks for it on the next turn (and its poll catches a slow write). */
  #told(): void {
    if (!this.exporter || this.#nudge) return;
    this.#nudge = true;
    setImmediate(() => { this.#nudge = false; this.exporter?.nudge(); });
  }

  async close(): Promise<void> {
    await this.#server?.close().catch(() => undefined);
    this.#server = undefined;
    await this.exporter?.close().catch(() => undefined);
    this.exporter = undefined;
  }
}
