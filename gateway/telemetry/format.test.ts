/**
 * The SIEM export's pure parts: RFC 5424 header rules and RFC 5425 framing, the ECS mapping, and the audit tail
 * reader on garbage, truncated and oversized input.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/log.ts';
import { AuditTail, parseEntry } from './audit-tail.ts';
import { loadCursor, saveCursor } from './cursor.ts';
import { toEcs } from './ecs.ts';
import { escapeNonAscii, octetFrame, severityOf, syslogMessage } from './syslog-format.ts';

const H = 'a'.repeat(64);
const dir = mkdtempSync(join(tmpdir(), 'parley-siem-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RFC 5424 / 5425', () => {
  const base = { facility: 13, severity: 6, timestamp: '2026-12-03T14:00:00.123Z', hostname: 'gw1', appName: 'parley-gateway', procId: '42', msgId: 'logon.decision', msg: '{}' };
  it('formats PRI, version, header fields, one SD element and the MSG', () => {
    expect(syslogMessage({ ...base, sd: { id: 'parley@32473', params: { seq: '7', id: H } } }))
      .toBe(`<110>1 2026-12-03T14:00:00.123Z gw1 parley-gateway 42 logon.decision [parley@32473 seq="7" id="${H}"] {}`);
    expect(syslogMessage(base)).toBe('<110>1 2026-12-03T14:00:00.123Z gw1 parley-gateway 42 logon.decision - {}');
  });
  it('hostile header and SD values cannot break the header', () => {
    const m = syslogMessage({ ...base, hostname: 'a b\nc', appName: '', msgId: 'x'.repeat(80), timestamp: 'yesterday',
      sd: { id: 'a=b]"c', params: { 'k e=y': 'v"a]l\\ue\u00e9' } } });
    expect(m).toBe(`<110>1 - a_b_c - 42 ${'x'.repeat(32)} [a_b__c k_e_y="v\\"a\\]l\\\\ue\\\\u00e9"] {}`);
    expect(() => syslogMessage({ ...base, facility: 24 })).toThrow(/facility/);
    expect(() => syslogMessage({ ...base, severity: -1 })).toThrow(/severity/);
  });
  it('octet counting counts bytes, not characters', () => {
    expect(octetFrame('<14>1 - - - - - - h\u00e9').toString('utf8')).toBe('21 <14>1 - - - - - - h\u00e9');
    expect(escapeNonAscii('a\u00e9\n\u{1f600}')).toBe('a\\u00e9\\u000a\\ud83d\\ude00');
  });
  it('severity by type', () => {
    expect([severityOf('alert'), severityOf('logon.denied'), severityOf('rfq.created')]).toEqual([1, 4, 6]);
  });
});

describe('ECS mapping', () => {
  it('maps a denied logon, a trade, a session end and an unknown type', () => {
    const deny = toEcs({ seq: 3, ts: 't', type: 'logon.decision', data: { username: 'bob', ip: '1.2.3.4', decision: 'deny', score: 60 }, prev: H, hash: H }, 'gw');
    expect(deny).toMatchObject({ event: { category: ['authentication'], type: ['start', 'denied'], outcome: 'failure', risk_score: 60 }, user: { name: 'bob' }, source: { ip: '1.2.3.4' } });
    expect(toEcs({ seq: 4, ts: 't', type: 'trade.executed', data: { user: 'bob' }, prev: H, hash: H }, 'gw')).toMatchObject({ event: { category: ['api'], type: ['creation'], outcome: 'success' } });
    expect(toEcs({ seq: 5, ts: 't', type: 'session.closed', data: {}, prev: H, hash: H }, 'gw')).toMatchObject({ event: { category: ['session'], type: ['end'] } });
    const odd = toEcs({ seq: 6, ts: 't', type: 'zz.top', data: 'not an object', prev: H, hash: H }, 'gw');
    expect(odd).toMatchObject({ event: { category: ['process'], outcome: 'unknown' }, parley: { audit: { data: 'not an object' } } });
    expect(odd).not.toHaveProperty('user');
  });
});

describe('audit tail', () => {
  it('parseEntry refuses garbage', () => {
    for (const bad of ['', 'x', '[]', 'null', '{"seq":0}', `{"seq":1,"ts":"t","type":"a","data":{},"prev":"${H}","hash":"zz"}`, '{"seq":1.5}']) {
      expect(typeof parseEntry(bad)).toBe('string');
    }
    expect(parseEntry(`{"seq":1,"ts":"t","type":"a","data":{},"prev":"${H}","hash":"${H}"}`)).toMatchObject({ seq: 1, type: 'a' });
  });
  it('reads complete lines only, in bounded batches, and reports bad lines without stopping', async () => {
    const file = join(dir, 'a.jsonl');
    const log = await AuditLog.open(file, { keyFile: null });
    for (let i = 0; i < 20; i++) await log.append('t.x', { i });
    await log.close();
    appendFileSync(file, 'garbage line\n{"seq":');
    const t = await AuditTail.open(file);
    const seen: number[] = [];
    let bad = 0;
    let at = 0;
    for (let n = 0; n < 100; n++) {
      const b = await t.read(at, 300); // smaller than two lines: a batch holds at least one line
      if (b.lines.length === 0) break;
      for (const l of b.lines) if ('entry' in l) seen.push(l.entry.seq); else bad++;
      at = b.next;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(bad).toBe(1);
    // The torn tail is left for later; once finished, it is read.
    const size = await t.size();
    expect(at).toBe(size - '{"seq":'.length);
    await t.close();
  });
  it('a line longer than any audit entry is reported once and skipped', async () => {
    const file = join(dir, 'b.jsonl');
    writeFileSync(file, `${'x'.repeat(1024 * 1024 + 10)}\n{"seq":1,"ts":"t","type":"a","data":{},"prev":"${H}","hash":"${H}"}\n`);
    const t = await AuditTail.open(file);
    const kinds: (number | string)[] = [];
    for (let at = 0, n = 0; n < 10; n++) {
      const b = await t.read(at, 4096);
      if (b.lines.length === 0) break;
      for (const l of b.lines) kinds.push('entry' in l ? l.entry.seq : l.bad);
      at = b.next;
    }
    expect(kinds).toEqual(['line too long', 1]);
    await t.close();
  });
  it('cursor round trip and garbage', async () => {
    const f = join(dir, 'c.cursor');
    expect(loadCursor(f)).toBeNull();
    await saveCursor(f, { offset: 10, seq: 2, prev: H });
    expect(loadCursor(f)).toEqual({ offset: 10, seq: 2, prev: H });
    for (const g of ['', '{', '{"offset":-1,"seq":1,"prev":"' + H + '"}', '{"offset":1,"seq":0,"prev":"' + H + '"}', '{"offset":1,"seq":1,"prev":"x"}', 'x'.repeat(5000)]) {
      writeFileSync(f, g);
      expect(loadCursor(f)).toBe('invalid');
    }
  });
});
