import { checkInput, fail, isRecord, lines, ok, parseJson, type Parsed } from './result.ts';

/** `ufw status` (C locale): "Status: active" followed by rules, or "Status: inactive". */
export function parseUfwStatus(text: string): Parsed<{ active: boolean; rules: number }> {
  const bad = checkInput(text, 'ufw');
  if (bad) return fail(bad);
  const all = lines(text).map((l) => l.trim());
  const status = all.find((l) => l.startsWith('Status: '));
  if (!status) return fail('ufw: no "Status:" line');
  if (status === 'Status: inactive') return ok({ active: false, rules: 0 });
  if (status !== 'Status: active') return fail(`ufw: unrecognized status "${status.slice(0, 80)}"`);
  const header = all.findIndex((l) => /^To\s+Action\s+From$/.test(l));
  const rules = header < 0 ? 0 : all.slice(header + 2).filter((l) => l !== '').length;
  return ok({ active: true, rules });
}

/** `firewall-cmd --state`: "running" (exit 0) or "not running" (exit 252). */
export function parseFirewalldState(text: string, exitCode: number): Parsed<{ running: boolean }> {
  const bad = checkInput(text, 'firewall-cmd');
  if (bad) return fail(bad);
  const t = text.trim();
  if (t === 'running' && exitCode === 0) return ok({ running: true });
  if (t === 'not running') return ok({ running: false });
  return fail(`firewall-cmd: unrecognized state "${t.slice(0, 80)}" (exit ${exitCode})`);
}

export interface NftSummary {
  tables: number;
  inputChains: number;
  rules: number;
  /** An input-hook chain drops by default or holds drop/reject rules. */
  filtersInput: boolean;
}

const MAX_ITEMS = 100_000;

/** `nft -j list ruleset`: JSON {"nftables":[{"metainfo"},{"table"},{"chain"},{"rule"}...]}. */
export function parseNftRuleset(text: string): Parsed<NftSummary> {
  const bad = checkInput(text, 'nft');
  if (bad) return fail(bad);
  if (text.trim() === '') return ok({ tables: 0, inputChains: 0, rules: 0, filtersInput: false });
  const j = parseJson(text, 'nft');
  if (!j.ok) return j;
  if (!isRecord(j.value) || !Array.isArray(j.value.nftables)) return fail('nft: no "nftables" array');
  const items = j.value.nftables;
  if (items.length > MAX_ITEMS) return fail('nft: ruleset too large');
  const inputChains = new Set<string>();
  let tables = 0;
  let rules = 0;
  let filtersInput = false;
  for (const it of items) {
    if (!isRecord(it)) return fail('nft: ruleset item is not an object');
    if (isRecord(it.table)) tables++;
    if (isRecord(it.chain)) {
      const c = it.chain;
      if (c.hook === 'input' && (c.type === undefined || c.type === 'filter')) {
        inputChains.add(`${String(c.family)} ${String(c.table)} ${String(c.name)}`);
        if (c.policy === 'drop' || c.policy === 'reject') filtersInput = true;
      }
    }
    if (isRecord(it.rule)) {
      rules++;
      const r = it.rule;
      const key = `${String(r.family)} ${String(r.table)} ${String(r.chain)}`;
      if (inputChains.has(key) && Array.isArray(r.expr)) {
        if (r.expr.some((e) => isRecord(e) && ('drop' in e || 'reject' in e))) filtersInput = true;
      }
    }
  }
  return ok({ tables, inputChains: inputChains.size, rules, filtersInput });
}
