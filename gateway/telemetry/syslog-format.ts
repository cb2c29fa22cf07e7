/**
 * RFC 5424 syslog messages and RFC 5425 octet-counted framing, for the SIEM export.
 *
 * API
 *   syslogMessage(m: SyslogFields): string   one RFC 5424 SYSLOG-MSG (ASCII only: the MSG part is JSON with
 *                                             every non-ASCII character escaped, so no BOM is needed)
 *   octetFrame(msg: string): Buffer          "MSG-LEN SP SYSLOG-MSG" (RFC 5425 section 4.3)
 *   severityOf(type): number                  the syslog severity of an audit entry type
 *
 * Header fields are PRINTUSASCII with their RFC lengths (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32);
 * anything else in them is replaced by '_' — an audit type never breaks the header.
 */

export type SyslogFields = {
  /** 0-23; 13 is "log audit". */
  facility: number;
  /** 0-7. */
  severity: number;
  /** ISO 8601 time with a Z offset (the audit entry's own time). */
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** One SD-ELEMENT: its SD-ID and its params. */
  sd?: { id: string; params: Record<string, string> };
  /** The MSG part; must already be ASCII (escapeNonAscii). */
  msg: string;
};

function header(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

/** SD-NAME: PRINTUSASCII except '=', SP, ']', '"', at most 32. */
function sdName(v: string): string {
  return v.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32) || '_';
}

/** PARAM-VALUE: '"', '\' and ']' are escaped with a backslash (RFC 5424 section 6.3.3). */
function sdValue(v: string): string {
  return escapeNonAscii(v).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** JSON or any text with every character outside printable ASCII written as \uXXXX. */
export function escapeNonAscii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function syslogMessage(m: SyslogFields): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23) throw new Error(`syslog facility ${m.facility} is not 0-23`);
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7) throw new Error(`syslog severity ${m.severity} is not 0-7`);
  const pri = m.facility * 8 + m.severity;
  const ts = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(m.timestamp) ? m.timestamp : '-';
  const sd = m.sd
    ? `[${sdName(m.sd.id)}${Object.entries(m.sd.params).map(([k, v]) => ` ${sdName(k)}="${sdValue(v)}"`).join('')}]`
    : '-';
  return `<${pri}>1 ${ts} ${header(m.hostname, 255)} ${header(m.appName, 48)} ${header(m.procId, 128)} ${header(m.msgId, 32)} ${sd} ${m.msg}`;
}

export function octetFrame(msg: string): Buffer {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** alert → 1 (alert); refusals and failures → 4 (warning); the rest → 6 (informational). */
export function severityOf(type: string): number {
  if (type === 'alert') return 1;
  if (/(denied|refused|failed|lockout|error|corrupt|gap|throttled|flood|lapse|anomaly)/.test(type)) return 4;
  return 6;
}
