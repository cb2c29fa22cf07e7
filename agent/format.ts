import type { PostureEvaluation } from './policy.ts';
import type { Fact, PostureReport } from './report.ts';
import { commandLine } from './runner.ts';

const MAX_CELL = 220;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_CELL ? `${one.slice(0, MAX_CELL - 1)}…` : one;
}

export function describeEvidence(f: Fact): string {
  const e = f.evidence;
  const parts: string[] = [];
  if (e.command) parts.push(`ran ${e.args ? commandLine(e.command, e.args) : e.command}`);
  if (e.source) parts.push(`${e.command ? 'from' : 'read'} ${e.source}`);
  if (e.error && !parts.some((p) => p.includes(e.error!))) parts.push(`error: ${e.error}`);
  return parts.join('; ') || '(none)';
}

function valueText(f: Fact): string {
  if (f.reason) return f.reason;
  if (f.value === undefined) return '';
  return typeof f.value === 'string' ? f.value : JSON.stringify(f.value);
}

/** The human table for `parley-agent report`: one row per fact, its evidence underneath. */
export function formatReport(report: PostureReport): string {
  const os = report.os;
  const head = [
    `Parley device posture — agent ${report.agentVersion}, collected ${report.collectedAt}`,
    `${os.distro || report.platform} ${os.build || os.version}${os.kernel ? `, kernel ${os.kernel}` : ''}${os.arch ? ` (${os.arch})` : ''}`,
    '',
  ];
  const idWidth = Math.max(4, ...report.facts.map((f) => f.id.length)) + 2;
  const rows = [`${'FACT'.padEnd(idWidth)}${'STATUS'.padEnd(9)}DETAIL`];
  for (const f of report.facts) {
    rows.push(`${f.id.padEnd(idWidth)}${f.status.toUpperCase().padEnd(9)}${clip(valueText(f))}`);
    rows.push(`${''.padEnd(idWidth + 9)}evidence: ${clip(describeEvidence(f))}`);
  }
  const counts = (['pass', 'fail', 'unknown'] as const).map((s) => `${report.facts.filter((f) => f.status === s).length} ${s}`);
  return [...head, ...rows, '', `${report.facts.length} facts: ${counts.join(', ')}`].join('\n');
}

export function formatEvaluation(evaluation: PostureEvaluation, policyPath: string): string {
  const width = Math.max(4, ...evaluation.results.map((r) => r.rule.length)) + 2;
  const rows = [`Policy ${policyPath}`, `${'RULE'.padEnd(width)}${'RESULT'.padEnd(9)}REASON`];
  for (const r of evaluation.results) rows.push(`${r.rule.padEnd(width)}${r.status.toUpperCase().padEnd(9)}${clip(r.reason)}`);
  if (evaluation.results.length === 0) rows.push('(the policy sets no rules)');
  const verdict = { yes: 'COMPLIANT', no: 'NOT COMPLIANT', unknown: 'COMPLIANCE UNKNOWN (some facts could not be established)' }[evaluation.compliant];
  return [...rows, '', `Verdict: ${verdict}`].join('\n');
}
