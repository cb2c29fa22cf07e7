/**
 * /metrics on a real gateway: a trader logs on (step-up), sends an RFQ, gets quotes and hits one; the scrape is
 * parsed with parse-prometheus-text-format (an independent parser of the exposition format) and the families and
 * values are checked. Also: the HTTPS listener refuses a scraper without a client certificate of the gateway CA,
 * and the listener answers only GET /metrics.
 */
import { createRequire } from 'node:module';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MsgType, Tag, writeQuoteRequest, writeQuoteResponse } from '../../fix/protocol/index.ts';
import { loggedIn, startTestGateway, type TestGateway } from '../session/test-gateway.ts';

// The package ships CommonJS without types; its one export parses the text exposition format.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

type Family = { name: string; help: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[] };

async function scrape(port: number): Promise<{ status: number; type: string | null; families: Map<string, Family> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  return { status: res.status, type: res.headers.get('content-type'), families };
}

function value(f: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const fam = f.get(name);
  if (!fam) throw new Error(`no metric family ${name}`);
  const m = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? 0 : Number(m.value);
}

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({ telemetry: { metrics: { enabled: true, port: 0 } } }, { users: ['alice'] });
});
afterAll(async () => { await t?.close(); });

describe('Prometheus /metrics', () => {
  it('exposes sessions, logons by decision, step-ups, RFQs, quotes, trades, latency histograms and lags', async () => {
    const port = t.gw.telemetry.metricsPort;
    expect(port).toBeGreaterThan(0);
    const before = await scrape(port);
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(before.families, 'parley_sessions_active')).toBe(0);

    const c = await loggedIn(t, 'alice');
    c.send(MsgType.QuoteRequest, writeQuoteRequest({ quoteReqId: 'M-1', symbol: 'US912828ZT0', side: 'buy', qty: 1_000_000 }));
    const quotes = [await c.waitFor(MsgType.Quote), await c.waitFor(MsgType.Quote), await c.waitFor(MsgType.Quote)];
    c.send(MsgType.QuoteResponse, writeQuoteResponse({ quoteRespId: 'H-1', quoteId: quotes[0]!.get(Tag.QuoteID)!, side: 'buy' }));
    await c.waitFor(MsgType.ExecutionReport);

    // The counters follow the audit events; poll until the trade is counted, then read everything at once.
    let f = (await scrape(port)).families;
    for (let i = 0; i < 200 && value(f, 'parley_trades_total', { outcome: 'executed' }) < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      f = (await scrape(port)).families;
    }
    expect(value(f, 'parley_sessions_active')).toBe(1);
    expect(value(f, 'parley_logons_total', { decision: 'step-up' })).toBe(1);
    expect(value(f, 'parley_stepups_total', { outcome: 'challenged' })).toBe(1);
    expect(value(f, 'parley_stepups_total', { outcome: 'success' })).toBe(1);
    expect(value(f, 'parley_rfqs_total')).toBe(1);
    expect(value(f, 'parley_quotes_total')).toBe(3);
    expect(value(f, 'parley_trades_total', { outcome: 'executed' })).toBe(1);
    expect(value(f, 'parley_access_decisions_total', { action: 'CreateRfq', decision: 'allow' })).toBe(1);
    for (const h of ['parley_password_verify_seconds', 'parley_policy_decision_seconds', 'parley_rfq_first_quote_seconds']) {
      const fam = f.get(h)!;
      expect(fam.type).toBe('HISTOGRAM');
      expect(Number(fam.metrics[0]!.count)).toBeGreaterThanOrEqual(1);
      expect(Object.keys(fam.metrics[0]!.buckets ?? {})).toContain('+Inf');
    }
    expect(f.get('parley_logons_total')!.type).toBe('COUNTER');
    expect(value(f, 'parley_audit_seq')).toBeGreaterThan(5);
    expect(f.get('parley_audit_pending_entries')!.type).toBe('GAUGE');
    expect(value(f, 'parley_siem_export_lag_entries')).toBe(-1); // export off in this gateway
    expect(f.has('parley_nodejs_eventloop_lag_seconds')).toBe(true);
    await c.close();
  });

  it('answers only GET /metrics', async () => {
    const port = t.gw.telemetry.metricsPort;
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
  });
});

describe('/metrics over HTTPS', () => {
  let tt: TestGateway;
  beforeAll(async () => { tt = await startTestGateway({ telemetry: { metrics: { enabled: true, port: 0, tls: true, host: '127.0.0.1' } } }, { users: ['alice'] }); });
  afterAll(async () => { await tt?.close(); });

  const get = (o: { cert?: string; key?: string }) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: tt.gw.telemetry.metricsPort, path: '/metrics', ca: tt.pki.caCertPem, servername: 'localhost', ...o }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => { body += b.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

  it('serves a scraper with a client certificate of the gateway CA and refuses one without', async () => {
    const leaf = tt.pki.clients.ALICE!.ec;
    const ok = await get({ cert: leaf.certPem, key: leaf.keyPem });
    expect(ok.status).toBe(200);
    expect(parsePrometheusTextFormat(ok.body).some((f) => f.name === 'parley_sessions_active')).toBe(true);
    await expect(get({})).rejects.toThrow();
  });
});
