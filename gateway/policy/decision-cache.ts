/**
 * A bounded cache of access decisions, keyed on exactly what Cedar sees, per loaded policy set.
 *
 * API
 *   analyzeKeySpec(policies: cedar EST policies, numericAttrs, constants): KeySpec
 *     What of the request the key must hold, read from the policies themselves: for each numeric context attribute
 *     the policies only ever compare with a constant (a literal, or an attribute the gateway fills from its
 *     configuration, e.g. context.notional > context.rfqNotionalLimit), the thresholds it is compared with; every
 *     other attribute is keyed on its exact value. Also the attribute names any policy reads at all (`read`; null
 *     when a policy uses the whole context record): the engine hands Cedar only those, since converting each
 *     attribute into WebAssembly costs (an ipaddr alone ~30-80 us) and one no policy names cannot change a decision.
 *   numericClass(v, thresholds): number — which side of every threshold v lies on (below / equal / above each)
 *   pick(obj, read): the attributes of obj some policy reads (obj itself when read is null)
 *   decisionKey(spec, principalId, role, principalAttrs, action, context, words): string — the key: exactly what
 *     the engine gives Cedar (principal id, role, the principal's attributes, action, context), each by name,
 *     classed numbers by class, and the request values the decision's texts quote (words)
 *   copyDecision(d, enforced): AccessDecision — a copy with its own arrays (callers may edit theirs)
 *   class DecisionCache<V> { constructor(maxEntries); get(key); set(key, v); size; stats(): { hits; misses; evictions; size; max } }
 *     least-recently-used eviction; maxEntries 0 disables it (get always misses, set keeps nothing).
 *
 * Why classes and not exact numbers: a notional is new with every RFQ and a second factor's age grows every
 * second, so an exact key would almost never hit. Two values on the same side of every threshold the policies
 * compare them with make every comparison, and so the whole evaluation, come out the same. Anything the analysis
 * does not recognise (arithmetic, a comparison between two request values, the whole context record) falls back
 * to the exact value, which is always sound. gateway/policy/decision-cache.test.ts checks cached against
 * uncached decisions on randomized requests.
 */

import type { AccessDecision } from './engine.ts';

/** A Cedar JSON (EST) expression or policy: nested plain objects and arrays. */
type Est = unknown;

export interface KeySpec {
  /** Per numeric context attribute: sorted distinct thresholds, or 'exact' when used otherwise. */
  numeric: Map<string, number[] | 'exact'>;
  /** Every attribute name a policy reads (`x.name`, `x has name`), or null when one uses the whole context. */
  read: Set<string> | null;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `context.<attr>` as an EST node → attr, else undefined. */
function contextAttr(node: Est): string | undefined {
  if (!isObj(node)) return undefined;
  const dot = node['.'];
  if (!isObj(dot) || !isObj(dot.left) || dot.left.Var !== 'context' || typeof dot.attr !== 'string') return undefined;
  return dot.attr;
}

/**
 * numericAttrs: the context attributes to try to key by class (Longs that change from request to request);
 * constants: context attributes whose value is fixed for the policy set's lifetime (the gateway's settings).
 */
export function analyzeKeySpec(policies: readonly Est[], numericAttrs: readonly string[], constants: Readonly<Record<string, number>>): KeySpec {
  const thresholds = new Map<string, Set<number>>(numericAttrs.map((a) => [a, new Set<number>()]));
  const exact = new Set<string>();
  const read = new Set<string>();
  let wholeContext = false;

  const constantOf = (node: Est): number | undefined => {
    if (isObj(node) && typeof node.Value === 'number' && Number.isSafeInteger(node.Value)) return node.Value;
    const a = contextAttr(node);
    if (a !== undefined && Object.hasOwn(constants, a) && Number.isSafeInteger(constants[a])) return constants[a];
    return undefined;
  };

  const visit = (node: Est): void => {
    if (Array.isArray(node)) { node.forEach(visit); return; }
    if (!isObj(node)) return;
    for (const op of ['.', 'has']) {
      const a = node[op];
      if (isObj(a) && typeof a.attr === 'string') read.add(a.attr);
    }
    const attr = contextAttr(node);
    if (attr !== undefined) {
      if (thresholds.has(attr)) exact.add(attr); // read other than in a comparison with a constant
      return;
    }
    if (node.Var === 'context') { wholeContext = true; return; }
    const has = node.has;
    if (isObj(has) && isObj(has.left) && has.left.Var === 'context') return; // presence is keyed anyway
    for (const [op, arg] of Object.entries(node)) {
      if (COMPARISONS.has(op) && isObj(arg)) {
        const l = contextAttr(arg.left);
        const r = contextAttr(arg.right);
        if (l !== undefined) read.add(l);
        if (r !== undefined) read.add(r);
        const lc = constantOf(arg.left);
        const rc = constantOf(arg.right);
        if (l !== undefined && thresholds.has(l) && rc !== undefined && !(r !== undefined && thresholds.has(r))) { thresholds.get(l)!.add(rc); continue; }
        if (r !== undefined && thresholds.has(r) && lc !== undefined && !(l !== undefined && thresholds.has(l))) { thresholds.get(r)!.add(lc); continue; }
      }
      visit(arg);
    }
  };
  policies.forEach(visit);

  const numeric = new Map<string, number[] | 'exact'>();
  for (const [a, t] of thresholds) numeric.set(a, wholeContext || exact.has(a) ? 'exact' : [...t].sort((x, y) => x - y));
  return { numeric, read: wholeContext ? null : read };
}

/** 2 × (thresholds below v) + (1 if v is one of them): equal classes ⇒ equal result of every comparison. */
export function numericClass(v: number, thresholds: readonly number[]): number {
  let below = 0;
  for (const t of thresholds) {
    if (t < v) below++;
    else if (t === v) return 2 * below + 1;
    else break;
  }
  return 2 * below;
}

export class DecisionCache<V> {
  readonly max: number;
  // A Map iterates in insertion order; re-inserting on a hit keeps the least recently used first.
  #map = new Map<string, V>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(maxEntries: number) {
    this.max = Math.max(0, Math.floor(maxEntries));
  }

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) { this.#misses++; return undefined; }
    this.#hits++;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  set(key: string, v: V): void {
    if (this.max === 0) return;
    this.#map.delete(key);
    this.#map.set(key, v);
    while (this.#map.size > this.max) {
      this.#map.delete(this.#map.keys().next().value!);
      this.#evictions++;
    }
  }

  get size(): number {
    return this.#map.size;
  }

  stats(): { hits: number; misses: number; evictions: number; size: number; max: number } {
    return { hits: this.#hits, misses: this.#misses, evictions: this.#evictions, size: this.#map.size, max: this.max };
  }
}

/** Length-prefixed, so no value can run into the next one whatever characters it holds. */
function part(s: string): string {
  return `${s.length}:${s}`;
}

export function pick<T>(obj: Record<string, T>, read: ReadonlySet<string> | null): Record<string, T> {
  if (read === null) return obj;
  const out: Record<string, T> = {};
  for (const name in obj) if (read.has(name)) out[name] = obj[name]!;
  return out;
}

function value(v: unknown): string {
  return part(typeof v === 'string' ? `s${v}` : typeof v === 'number' || typeof v === 'boolean' ? `${typeof v}${v}` : JSON.stringify(v));
}

/**
 * The arguments are the very values handed to Cedar; the step-up re-evaluation is derived from the same request,
 * so this key determines the whole decision, together with `words`: whatever else of the request the decision's
 * texts quote (a default deny names the network and device even when no policy reads them).
 */
export function decisionKey(spec: KeySpec, principalId: string, role: string, attrs: Readonly<Record<string, unknown>>, action: string, context: Readonly<Record<string, unknown>>, words: string): string {
  let k = part(principalId) + part(role) + part(words);
  for (const name in attrs) k += part(name) + value(attrs[name]);
  k += `|${part(action)}`;
  for (const name in context) {
    const v = context[name];
    const classes = spec.numeric.get(name);
    if (classes !== undefined && classes !== 'exact' && typeof v === 'number') k += `${part(name)}c${numericClass(v, classes)};`;
    else k += part(name) + value(v);
  }
  return k;
}

export function copyDecision(d: AccessDecision, enforced: boolean): AccessDecision {
  const out: AccessDecision = { decision: d.decision, enforced, reasons: [...d.reasons], messages: [...d.messages], controls: [...d.controls] };
  if (d.stepUp) out.stepUp = { ...d.stepUp };
  return out;
}
