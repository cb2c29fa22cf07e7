/**
 * The gateway's Prometheus metrics (prom-client), fed by the audit events the gateway writes anyway (observe),
 * the desk's RFQ updates (quotes) and a few timed decision-core calls. One registry per gateway: no global state.
 *
 * API
 *   class GatewayMetrics
 *     constructor(src: MetricSources)
 *     registry                                  prom-client Registry (text exposition: await registry.metrics())
 *     observe(type, data)                       one audit event (or 'alert' with its kind)
 *     rfqUpdate(view)                           a desk RFQ view: new quotes counted, first-quote latency timed
 *     timed(histogram, fn)                      times a sync or async call into one of the latency histograms
 *
 * Labels only ever take values from fixed sets or from audit type names (A-Z a-z 0-9 . _ : -, at most
 * MAX_KINDS distinct, then "other"): nothing a client sends becomes a label value.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExportStats } from './syslog-export.ts';

export type MetricSources = {
  sessions: () => number;
  /** Last seq written to the audit log. */
  auditSeq: () => number;
  exportStats?: () => ExportStats | undefined;
  /** Process metrics (event loop lag, heap, CPU); default true. */
  processMetrics?: boolean;
};

type RfqViewLike = { quoteReqId: string; status: string; createdAt: string; quotes: { quoteId: string }[] };

const MAX_KINDS = 200;
const KIND = /^[A-Za-z0-9._:-]{1,64}$/;
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly logons: Counter<'decision'>;
  readonly stepUps: Counter<'outcome'>;
  readonly rfqs: Counter;
  readonly quotes: Counter;
  readonly trades: Counter<'outcome'>;
  readonly access: Counter<'action' | 'decision'>;
  readonly alerts: Counter<'kind'>;
  readonly anomalies: Counter<'rule' | 'mode'>;
  readonly passwordSeconds: Histogram;
  readonly policySeconds: Histogram;
  readonly firstQuoteSeconds: Histogram;
  /** Audit events handed to the log; minus the log's seq, what the audit store has not written yet. */
  #auditEvents = 0;
  readonly #auditBase: number;
  readonly #kinds = new Set<string>();
  /** Quote ids already counted, per open RFQ. */
  readonly #openQuotes = new Map<string, Set<string>>();

  constructor(src: MetricSources) {
    const registers = [this.registry];
    if (src.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    this.logons = new Counter({ name: 'parley_logons_total', help: 'Logon decisions: allow, step-up, deny (risk), refused (before the risk score), throttled', labelNames: ['decision'], registers });
    this.stepUps = new Counter({ name: 'parley_stepups_total', help: 'Step-up challenges and their outcomes', labelNames: ['outcome'], registers });
    this.rfqs = new Counter({ name: 'parley_rfqs_total', help: 'RFQs accepted by the desk', registers });
    this.quotes = new Counter({ name: 'parley_quotes_total', help: 'Dealer quotes placed on RFQs (requotes included)', registers });
    this.trades = new Counter({ name: 'parley_trades_total', help: 'Hits: executed or refused', labelNames: ['outcome'], registers });
    this.access = new Counter({ name: 'parley_access_decisions_total', help: 'Access policy decisions per action', labelNames: ['action', 'decision'], registers });
    this.alerts = new Counter({ name: 'parley_alerts_total', help: 'Alerts raised, by kind', labelNames: ['kind'], registers });
    this.anomalies = new Counter({ name: 'parley_anomalies_total', help: 'Anomalies detected, by rule and mode (enforce or log-only)', labelNames: ['rule', 'mode'], registers });
    this.passwordSeconds = new Histogram({ name: 'parley_password_verify_seconds', help: 'Password verification (scrypt or the verified-credential cache)', buckets: LATENCY_BUCKETS, registers });
    this.policySeconds = new Histogram({ name: 'parley_policy_decision_seconds', help: 'Access policy (Cedar) decision time', buckets: LATENCY_BUCKETS, registers });
    this.firstQuoteSeconds = new Histogram({ name: 'parley_rfq_first_quote_seconds', help: 'RFQ accepted to first dealer quote', buckets: LATENCY_BUCKETS, registers });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- collect() runs with the gauge as `this`
    const self = this;
    new Gauge({ name: 'parley_sessions_active', help: 'Live client sessions', registers, collect() { this.set(src.sessions()); } });
    new Gauge({ name: 'parley_audit_seq', help: 'Last entry written to the audit log', registers, collect() { this.set(src.auditSeq()); } });
    new Gauge({
      name: 'parley_audit_pending_entries', help: 'Audit events accepted but not yet written to the audit log (store lag)', registers,
      collect() { this.set(Math.max(0, self.#auditEvents - (src.auditSeq() - self.#auditBase))); },
    });
    const exp = () => src.exportStats?.();
    new Gauge({ name: 'parley_siem_export_lag_entries', help: 'Audit entries not yet sent to the SIEM (-1: export off)', registers, collect() { this.set(exp()?.lag ?? -1); } });
    new Gauge({ name: 'parley_siem_connected', help: '1 while the SIEM syslog connection is up', registers, collect() { this.set(exp()?.connected ? 1 : 0); } });
    new Gauge({ name: 'parley_siem_sent_seq', help: 'Last audit seq handed to the SIEM connection', registers, collect() { this.set(exp()?.sentSeq ?? 0); } });
    new Gauge({ name: 'parley_siem_confirmed_seq', help: 'Last audit seq taken as delivered (before the replay window)', registers, collect() { this.set(exp()?.confirmedSeq ?? 0); } });
    new Gauge({ name: 'parley_siem_reconnects', help: 'SIEM connection losses since start', registers, collect() { this.set(exp()?.reconnects ?? 0); } });
    this.#auditBase = src.auditSeq();
  }

  #kind(k: unknown): string {
    if (typeof k !== 'string' || !KIND.test(k)) return 'other';
    if (this.#kinds.has(k)) return k;
    if (this.#kinds.size >= MAX_KINDS) return 'other';
    this.#kinds.add(k);
    return k;
  }

  /** One audit event the gateway writes (alerts as type 'alert' with their kind). */
  observe(type: string, data: Record<string, unknown>): void {
    this.#auditEvents++;
    switch (type) {
      case 'logon.decision': {
        const d = data.decision;
        this.logons.inc({ decision: d === 'allow' || d === 'step-up' || d === 'deny' ? d : 'other' });
        break;
      }
      case 'logon.denied': if (data.score === undefined) this.logons.inc({ decision: 'refused' }); break;
      case 'logon.throttled': this.logons.inc({ decision: 'throttled' }); break;
      case 'stepup.challenge': this.stepUps.inc({ outcome: 'challenged' }); break;
      case 'stepup.success': this.stepUps.inc({ outcome: 'success' }); break;
      case 'stepup.failed': this.stepUps.inc({ outcome: 'failed' }); break;
      case 'stepup.expired': this.stepUps.inc({ outcome: 'expired' }); break;
      case 'rfq.created': this.rfqs.inc(); break;
      case 'trade.executed': this.trades.inc({ outcome: 'executed' }); break;
      case 'trade.refused': this.trades.inc({ outcome: 'refused' }); break;
      case 'access.decision': {
        const d = data.decision;
        this.access.inc({ action: this.#kind(data.action), decision: d === 'allow' || d === 'step-up' || d === 'deny' ? d : 'other' });
        break;
      }
      case 'anomaly.detected': this.anomalies.inc({ rule: this.#kind(data.rule), mode: data.mode === 'log-only' ? 'log-only' : 'enforce' }); break;
      case 'alert': this.alerts.inc({ kind: this.#kind(data.kind) }); break;
      default:
    }
  }

  rfqUpdate(v: RfqViewLike): void {
    let seen = this.#openQuotes.get(v.quoteReqId);
    if (!seen && v.status === 'open') {
      seen = new Set();
      this.#openQuotes.set(v.quoteReqId, seen);
    }
    if (seen) {
      for (const q of v.quotes) {
        if (seen.has(q.quoteId)) continue;
        if (seen.size === 0) {
          const t = Date.parse(v.createdAt);
          if (Number.isFinite(t)) this.firstQuoteSeconds.observe(Math.max(0, (Date.now() - t) / 1000));
        }
        seen.add(q.quoteId);
        this.quotes.inc();
      }
    }
    if (v.status !== 'open') this.#openQuotes.delete(v.quoteReqId);
  }

  timed<T>(h: Histogram, fn: () => T): T {
    const end = h.startTimer();
    let r: T;
    try {
      r = fn();
    } catch (e) {
      end();
      throw e;
    }
    if (r instanceof Promise) return r.finally(end) as T;
    end();
    return r;
  }
}
