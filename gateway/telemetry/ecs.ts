/**
 * Audit entries as Elastic Common Schema (ECS 8.11) documents: the MSG part of each exported syslog message.
 *
 * API
 *   ECS_VERSION
 *   toEcs(e: AuditEntry, host: string): Record<string, unknown>
 *
 * Why ECS (docs/operations.md, "SIEM export"): every Parley audit type maps onto ECS's small fixed vocabulary
 * (event.kind / category / type / outcome, user, source, tls) without inventing event classes for RFQs and
 * trades, and event.id is where ECS consumers (Elastic, and rsyslog's omelasticsearch as the document _id)
 * look for the de-duplication key. The original entry travels unchanged under `parley.audit` (seq, hash, prev,
 * type, data), so the SIEM can verify the chain and keyed checkpoints against the gateway's log.
 *
 * event.id is the entry's chain hash (HMAC-SHA256 in a keyed log): unique per entry, also across a log that was
 * started again (seq restarts at 1). event.sequence is the seq.
 */

export const ECS_VERSION = '8.11.0';

/** One audit log line, parsed (gateway/audit/chain.ts format). */
export type AuditEntry = { seq: number; ts: string; type: string; data: unknown; prev: string; hash: string };

type Mapping = { category: string[]; type: string[] };

// The audit type's first segment (before the first '.') decides the ECS category; the last word the type.
const BY_PREFIX: Record<string, Mapping> = {
  logon: { category: ['authentication'], type: ['start'] },
  stepup: { category: ['authentication'], type: ['info'] },
  session: { category: ['session'], type: ['info'] },
  connection: { category: ['network'], type: ['connection'] },
  access: { category: ['iam'], type: ['access'] },
  rfq: { category: ['api'], type: ['creation'] },
  rfqs: { category: ['api'], type: ['access'] },
  trade: { category: ['api'], type: ['creation'] },
  trades: { category: ['api'], type: ['access'] },
  policy: { category: ['configuration'], type: ['change'] },
  users: { category: ['configuration', 'iam'], type: ['change'] },
  enroll: { category: ['iam'], type: ['creation'] },
  cert: { category: ['iam'], type: ['change'] },
  crl: { category: ['configuration'], type: ['change'] },
  risk: { category: ['session'], type: ['change'] },
  posture: { category: ['host'], type: ['info'] },
  anomaly: { category: ['intrusion_detection'], type: ['indicator'] },
  alert: { category: ['intrusion_detection'], type: ['indicator'] },
  audit: { category: ['database'], type: ['info'] },
  store: { category: ['database'], type: ['change'] },
  gateway: { category: ['process'], type: ['info'] },
  admin: { category: ['configuration'], type: ['admin'] },
  fix: { category: ['network'], type: ['protocol'] },
};

const FAILURE_WORDS = new Set(['denied', 'refused', 'failed', 'lockout', 'throttled', 'error', 'corrupt', 'expired', 'impossible', 'flood', 'lapse', 'rate-limited']);
const SUCCESS_WORDS = new Set(['success', 'started', 'executed', 'created', 'resumed', 'reloaded', 'issued']);
const END_WORDS = new Set(['closed', 'ended', 'stopped', 'taken-over']);

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function outcomeOf(type: string, data: Record<string, unknown>): 'success' | 'failure' | 'unknown' {
  const d = str(data.decision);
  if (d === 'allow') return 'success';
  if (d === 'deny') return 'failure';
  const last = type.slice(type.lastIndexOf('.') + 1);
  if (FAILURE_WORDS.has(last)) return 'failure';
  if (SUCCESS_WORDS.has(last)) return 'success';
  return 'unknown';
}

function ecsTypes(type: string, m: Mapping, outcome: string, data: Record<string, unknown>): string[] {
  const last = type.slice(type.lastIndexOf('.') + 1);
  const out = new Set(m.type);
  if (END_WORDS.has(last)) { out.delete('info'); out.delete('start'); out.add('end'); }
  if (last === 'started') { out.delete('info'); out.add('start'); }
  if (str(data.decision) === 'allow') out.add('allowed');
  if (str(data.decision) === 'deny' || (outcome === 'failure' && m.category.includes('authentication'))) out.add('denied');
  return [...out];
}

export function toEcs(e: AuditEntry, host: string): Record<string, unknown> {
  const data = obj(e.data);
  // An alert's own kind (e.g. logon.denied, anomaly.impossible-travel) is what it is about.
  const about = e.type === 'alert' ? (str(data.kind) ?? 'alert') : e.type;
  const m = BY_PREFIX[about.split('.')[0]!] ?? BY_PREFIX[e.type.split('.')[0]!] ?? { category: ['process'], type: ['info'] };
  const outcome = outcomeOf(about, data);
  const user = str(data.username) ?? str(data.user);
  const ip = str(data.ip);
  const reason = str(data.reason) ?? str(data.summary);
  const doc: Record<string, unknown> = {
    '@timestamp': e.ts,
    ecs: { version: ECS_VERSION },
    event: {
      id: e.hash,
      sequence: e.seq,
      kind: e.type === 'alert' ? 'alert' : 'event',
      category: e.type === 'alert' ? [...new Set(['intrusion_detection', ...m.category])] : m.category,
      type: ecsTypes(about, m, outcome, data),
      action: about,
      outcome,
      dataset: 'parley.audit',
      provider: 'parley-gateway',
      module: 'parley',
      ...(typeof data.score === 'number' ? { risk_score: data.score } : {}),
      ...(reason ? { reason: reason.slice(0, 1024) } : {}),
    },
    observer: { vendor: 'Parley', product: 'Parley gateway', type: 'gateway', hostname: host },
    host: { name: host },
    ...(user ? { user: { name: user } } : {}),
    ...(ip ? { source: { ip, ...(str(data.country) ? { geo: { country_iso_code: str(data.country) } } : {}) } } : {}),
    ...(str(data.serial) ? { tls: { client: { x509: { serial_number: str(data.serial)!.toUpperCase() } } } } : {}),
    parley: {
      ...(str(data.session) ? { session: { id: str(data.session) } } : {}),
      ...(str(data.compId) ? { comp_id: str(data.compId) } : {}),
      audit: { seq: e.seq, type: e.type, hash: e.hash, prev: e.prev, data: e.data ?? {} },
    },
  };
  return doc;
}
