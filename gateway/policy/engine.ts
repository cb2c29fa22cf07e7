/**
 * The per-request access policy: Cedar policies in files IT edits, validated against a Cedar schema at load.
 *
 * API
 *   ACCESS_ACTIONS, type AccessAction
 *   interface AccessRequest { user; action; context { network; deviceCompliance; mfa; mfaAgeSec?; ip; country?;
 *     notional?; serviceAccountAuth?; ipAllowListed?; jitGrant? } }
 *   interface AccessDecision { decision 'allow'|'deny'|'step-up'; enforced; reasons (policy ids); messages (@reason texts);
 *     controls (@controls of the deciding policies); stepUp? { acr 'mfa'|'phr'|'phrh'; maxAgeSec? } }
 *   class AccessPolicy
 *     static load(dir, opts? { mode 'enforce'|'log-only'; rfqNotionalLimit (50m); maxAuthAgeSec (900);
 *       decisionCacheSize (10,000; 0 = off); pruneInputs (true) }): Promise<AccessPolicy>
 *       dir holds *.cedar policy files and one schema (*.cedarschema, Cedar or JSON format). Errors are PolicyLoadError
 *       with "access.cedar:12:5: policy trader-x: <what is wrong>".
 *     authorize(req): AccessDecision     — synchronous; never throws (fails closed to deny)
 *     reload(): Promise<void>            — parses and validates the folder again and swaps atomically; on error the
 *                                          old policy stays in force and the PolicyLoadError is thrown
 *     mode (read/write), policyIds, dir, cacheStats()
 *
 * Decision cache: a decision is a pure function of what Cedar is given (the principal's entity and role, the
 * action, the context) and of the policy set, so authorize() remembers it under a key built from exactly that
 * context object, with the numbers the policies only compare with constants (notional, second-factor age) keyed
 * by which side of each threshold they fall (gateway/policy/decision-cache.ts). Each loaded policy set has its
 * own bounded (LRU) cache, so a reload swaps in an empty one with the new set. Cedar is handed only the context
 * and principal attributes some policy of the set reads (pruneInputs; false hands it all, for comparison). `enforced` is not cached (mode is
 * read at each call) and every caller gets its own copy. Invalid requests and failed evaluations are not cached.
 *
 * Step-up: Cedar only says allow or deny. A forbid annotated @stepup is one a fresh second factor lifts. When the
 * only forbids in the way are @stepup ones, the request is evaluated again as if a second factor had just been
 * verified; if that would be allowed the decision is 'step-up' (with the strongest @acr and the smallest @max_age
 * of those forbids), otherwise 'deny'. So a step-up is only offered when answering it can actually help.
 * mfaAgeSec: seconds since the last verified second factor; when `mfa` is true and it is omitted it counts as fresh.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { User } from '../identity/directory.ts';
import { normalizeIp } from '../risk/cidr.ts';
import { analyzeKeySpec, copyDecision as copy, DecisionCache, decisionKey, pick, type KeySpec } from './decision-cache.ts';
import { NETWORK_LABELS, type NetworkLabel } from './network.ts';

export const ACCESS_ACTIONS = ['CreateRfq', 'HitQuote', 'CancelRfq', 'ViewHistoricalTrades', 'ViewAllOpenRfqs', 'RfqAnalyticsApi', 'SystemConfiguration', 'RegisterSecurityKey', 'ViewAllTrades'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];
export const DEVICE_COMPLIANCE = ['highly-compliant', 'compliant', 'non-compliant', 'unknown'] as const;
export type DeviceCompliance = (typeof DEVICE_COMPLIANCE)[number];
export type Acr = 'mfa' | 'phr' | 'phrh';

export interface AccessRequest {
  user: User;
  action: AccessAction;
  context: {
    network: NetworkLabel;
    deviceCompliance: DeviceCompliance;
    mfa: boolean;
    mfaAgeSec?: number;
    ip: string;
    country?: string;
    notional?: number;
    serviceAccountAuth?: boolean;
    ipAllowListed?: boolean;
    jitGrant?: boolean;
  };
}

export interface AccessDecision {
  decision: 'allow' | 'deny' | 'step-up';
  enforced: boolean;
  reasons: string[];
  messages: string[];
  controls: string[];
  stepUp?: { acr: Acr; maxAgeSec?: number };
}

export interface AccessPolicyOptions {
  mode?: 'enforce' | 'log-only';
  rfqNotionalLimit?: number;
  maxAuthAgeSec?: number;
  /** Decisions remembered per loaded policy set (least recently used dropped first); 0 turns the cache off. */
  decisionCacheSize?: number;
  /** Hand Cedar only the attributes some policy reads (default); false hands it every attribute. */
  pruneInputs?: boolean;
}

export class PolicyLoadError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string, col = 0) {
    super(`${file}${line > 0 ? `:${line}` : ''}${line > 0 && col > 0 ? `:${col}` : ''}: ${message}`);
    this.name = 'PolicyLoadError';
    this.file = file;
    this.line = line;
  }
}

interface PolicyMeta {
  id: string;
  /** Position in the set (files by name, policies as written): decisions list their policies in this order. */
  order: number;
  file: string;
  effect: 'permit' | 'forbid';
  controls: string[];
  reason?: string;
  stepUp: boolean;
  acr: Acr;
  maxAge?: number | 'config';
}

interface Compiled {
  psetId: string;
  slot: number;
  meta: Map<string, PolicyMeta>;
  /** Every policy as Cedar JSON, for the decision cache's key analysis. */
  est: unknown[];
}

/** A compiled set in force with its decision cache (a reload brings both, so stale decisions cannot outlive it). */
interface InForce extends Compiled {
  spec: KeySpec;
  cache: DecisionCache<AccessDecision>;
}

type CedarContext = Record<string, cedar.CedarValueJson>;

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 256;
const NS = 'Parley';
const NOT_RECENT = 2 ** 31; // mfaAgeSec when no second factor: older than any sane max_age
const ACR_RANK: Record<Acr, number> = { mfa: 0, phr: 1, phrh: 2 };
let instances = 0;

/** Cedar reports byte offsets into the text; people want line:column. */
function lineCol(text: string, byteOffset: number): { line: number; col: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, col: (lines.at(-1)?.length ?? 0) + 1 };
}

function describe(e: cedar.DetailedError): string {
  const label = e.sourceLocations?.find((l) => l.label)?.label;
  return [e.message, label, e.help].filter(Boolean).join('; ');
}

function errorAt(file: string, text: string, e: cedar.DetailedError, prefix = ''): PolicyLoadError {
  const loc = e.sourceLocations?.[0];
  if (!loc) return new PolicyLoadError(file, 0, prefix + describe(e));
  const { line, col } = lineCol(text, loc.start);
  return new PolicyLoadError(file, line, prefix + describe(e), col);
}

function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  return i < 0 ? 0 : text.slice(0, i).split('\n').length;
}

async function readBounded(path: string, name: string): Promise<string> {
  const s = await stat(path);
  if (s.size > MAX_FILE_BYTES) throw new PolicyLoadError(name, 0, `file is ${s.size} bytes; the limit is ${MAX_FILE_BYTES}`);
  const text = await readFile(path, 'utf8');
  if (text.includes('\u0000')) throw new PolicyLoadError(name, lineOf(text, '\u0000'), 'file contains a NUL byte (binary or corrupt)');
  return text;
}

/**
 * The file's policies in the order they are written, which is how Cedar numbers them (policy0, policy1, …).
 * policySetTextToParts returns them ordered by that id as a string (policy10 before policy2), so from the
 * eleventh policy on, its index would name the wrong one.
 */
function policiesInFileOrder(text: string): ReturnType<typeof cedar.policySetTextToParts> {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') return parts;
  const at = (p: string) => { const i = text.indexOf(p); return i < 0 ? Number.MAX_SAFE_INTEGER : i; };
  return { ...parts, policies: [...parts.policies].sort((a, b) => at(a) - at(b)) };
}

async function compile(dir: string, instance: number, slot: number): Promise<Compiled> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw new PolicyLoadError(dir, 0, `cannot read the policy folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const schemaFiles = names.filter((n) => n.endsWith('.cedarschema') || n.endsWith('.cedarschema.json'));
  const policyFiles = names.filter((n) => n.endsWith('.cedar'));
  if (schemaFiles.length !== 1) {
    throw new PolicyLoadError(dir, 0, `expected exactly one schema file (*.cedarschema or *.cedarschema.json), found ${schemaFiles.length}${schemaFiles.length ? `: ${schemaFiles.join(', ')}` : ''}`);
  }
  if (policyFiles.length === 0) throw new PolicyLoadError(dir, 0, 'no policy files (*.cedar)');
  if (policyFiles.length > MAX_FILES) throw new PolicyLoadError(dir, 0, `too many policy files (${policyFiles.length} > ${MAX_FILES})`);

  const schemaName = schemaFiles[0]!;
  const schemaText = await readBounded(join(dir, schemaName), schemaName);
  let schema: cedar.Schema = schemaText;
  if (schemaName.endsWith('.json')) {
    try {
      schema = JSON.parse(schemaText) as cedar.SchemaJson<string>;
    } catch (e) {
      throw new PolicyLoadError(schemaName, 0, `not valid JSON (${(e as Error).message})`);
    }
  }
  const sp = cedar.checkParseSchema(schema);
  if (sp.type === 'failure') throw errorAt(schemaName, schemaText, sp.errors[0]!, 'schema: ');
  const sj = cedar.schemaToJson(schema);
  if (sj.type === 'failure' || !sj.json[NS]) throw new PolicyLoadError(schemaName, 0, `the schema must define namespace ${NS}`);
  for (const a of ACCESS_ACTIONS) {
    if (!sj.json[NS].actions[a]) throw new PolicyLoadError(schemaName, 0, `the schema must declare action ${a} (the gateway asks for it)`);
  }

  const staticPolicies: Record<string, string> = {};
  const meta = new Map<string, PolicyMeta>();
  const est: unknown[] = [];
  for (const file of policyFiles) {
    const text = await readBounded(join(dir, file), file);
    const parsed = cedar.checkParsePolicySet({ staticPolicies: text });
    if (parsed.type === 'failure') throw errorAt(file, text, parsed.errors[0]!);
    const v = cedar.validate({ schema, policies: { staticPolicies: text }, validationSettings: { mode: 'strict' } });
    if (v.type === 'failure') throw errorAt(file, text, v.errors[0]!);
    const ve = v.validationErrors[0];
    if (ve) {
      const parts = policiesInFileOrder(text);
      const idx = Number(/^policy(\d+)$/.exec(ve.policyId)?.[1] ?? -1);
      let name = idx >= 0 ? `${file}#${idx + 1}` : ve.policyId;
      if (parts.type === 'success' && idx >= 0) {
        const j = cedar.policyToJson(parts.policies[idx] ?? '');
        if (j.type === 'success' && j.json.annotations?.id) name = j.json.annotations.id;
      }
      // Cedar names the policy by its position in the file ("policy8"); the @id is what IT wrote.
      const error = { ...ve.error, message: ve.error.message.replace(/^for policy `[^`]*`, /, ''), help: ve.error.help?.replace(/^for policy `[^`]*`, /, '') ?? null };
      throw errorAt(file, text, error, `policy ${name}: does not match the schema: `);
    }
    const parts = policiesInFileOrder(text);
    if (parts.type === 'failure') throw errorAt(file, text, parts.errors[0]!);
    if (parts.policy_templates.length) throw new PolicyLoadError(file, 0, 'policy templates are not supported here; write static policies');
    parts.policies.forEach((p, i) => {
      const j = cedar.policyToJson(p);
      if (j.type === 'failure') throw errorAt(file, text, j.errors[0]!);
      const ann = j.json.annotations ?? {};
      const id = ann.id ?? `${file}#${i + 1}`;
      const line = ann.id ? lineOf(text, `"${ann.id}"`) : 0;
      if (!/^[A-Za-z0-9._:#-]{1,128}$/.test(id)) throw new PolicyLoadError(file, line, `policy id "${id}": use letters, digits, . _ : # - (at most 128)`);
      if (meta.has(id)) throw new PolicyLoadError(file, line, `policy id "${id}" is already used in ${meta.get(id)!.file}`);
      const acr = ann.acr ?? 'mfa';
      if (!(acr in ACR_RANK)) throw new PolicyLoadError(file, lineOf(text, `@acr("${acr}")`), `policy ${id}: @acr must be "mfa", "phr" or "phrh"`);
      let maxAge: PolicyMeta['maxAge'];
      if (ann.max_age !== undefined) {
        if (ann.max_age === 'maxAuthAgeSec') maxAge = 'config';
        else if (/^\d{1,7}$/.test(ann.max_age)) maxAge = Number(ann.max_age);
        else throw new PolicyLoadError(file, lineOf(text, '@max_age'), `policy ${id}: @max_age must be a number of seconds or "maxAuthAgeSec"`);
      }
      const stepUp = ann.stepup !== undefined;
      if (stepUp && j.json.effect !== 'forbid') throw new PolicyLoadError(file, line, `policy ${id}: @stepup only makes sense on a forbid`);
      const m: PolicyMeta = {
        id, order: meta.size, file, effect: j.json.effect, stepUp, acr: acr as Acr,
        controls: (ann.controls ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      };
      if (ann.reason) m.reason = ann.reason;
      if (maxAge !== undefined) m.maxAge = maxAge;
      meta.set(id, m);
      est.push(j.json);
      staticPolicies[id] = p;
    });
  }

  // Two slots per instance: a reload fills the slot not in force, so memory stays bounded and the set in
  // force is never touched before the swap.
  const psetId = `parley-${instance}-${slot}`;
  const b = cedar.preparsePolicySet(psetId, { staticPolicies });
  if (b.type === 'failure') throw new PolicyLoadError(dir, 0, describe(b.errors[0]!));
  return { psetId, slot, meta, est };
}

function clampInt(n: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.ceil(n)));
}

/** Context attributes that change from request to request and that policies usually compare with a setting. */
const CLASSED = ['notional', 'mfaAgeSec'] as const;

export class AccessPolicy {
  readonly dir: string;
  mode: 'enforce' | 'log-only';
  readonly rfqNotionalLimit: number;
  readonly maxAuthAgeSec: number;
  readonly decisionCacheSize: number;
  readonly pruneInputs: boolean;
  #compiled: InForce;
  #instance: number;
  #reloading: Promise<void> = Promise.resolve();

  private constructor(dir: string, compiled: Compiled, instance: number, opts: AccessPolicyOptions) {
    this.dir = dir;
    this.#instance = instance;
    this.mode = opts.mode ?? 'enforce';
    this.rfqNotionalLimit = opts.rfqNotionalLimit ?? 50_000_000;
    this.maxAuthAgeSec = opts.maxAuthAgeSec ?? 900;
    this.decisionCacheSize = opts.decisionCacheSize ?? 10_000;
    this.pruneInputs = opts.pruneInputs ?? true;
    this.#compiled = this.#inForce(compiled);
  }

  static async load(dir: string, opts: AccessPolicyOptions = {}): Promise<AccessPolicy> {
    const instance = ++instances;
    return new AccessPolicy(dir, await compile(dir, instance, 0), instance, opts);
  }

  /** Reloads are serialised, so two at once cannot both fill the spare slot. */
  reload(): Promise<void> {
    const run = this.#reloading.then(async () => {
      this.#compiled = this.#inForce(await compile(this.dir, this.#instance, 1 - this.#compiled.slot));
    });
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  get policyIds(): string[] {
    return [...this.#compiled.meta.keys()];
  }

  /** The decision cache of the policy set in force (it starts empty at every reload). */
  cacheStats(): ReturnType<DecisionCache<AccessDecision>['stats']> {
    return this.#compiled.cache.stats();
  }

  #inForce(c: Compiled): InForce {
    // The settings #context puts in every request: constants for the lifetime of this set.
    const constants = { maxAuthAgeSec: this.maxAuthAgeSec, rfqNotionalLimit: clampInt(this.rfqNotionalLimit) };
    return { ...c, spec: analyzeKeySpec(c.est, CLASSED, constants), cache: new DecisionCache<AccessDecision>(this.decisionCacheSize) };
  }

  authorize(req: AccessRequest): AccessDecision {
    const enforced = this.mode === 'enforce';
    const fail = (why: string): AccessDecision => ({ decision: 'deny', enforced, reasons: ['invalid-request'], messages: [why], controls: [] });
    try {
      const bad = this.#check(req);
      if (bad) return fail(bad);
      const c = this.#compiled;
      const context = this.#context(c, req, false);
      const attrs = this.#principalAttrs(c, req);
      const key = c.cache.max > 0 ? decisionKey(c.spec, req.user.username, String(req.user.role), attrs, req.action, context, `${req.context.network}|${req.context.deviceCompliance}`) : '';
      const hit = key ? c.cache.get(key) : undefined;
      if (hit) return copy(hit, enforced);
      const d = this.#decide(c, req, context, attrs);
      if (typeof d === 'string') return fail(d);
      if (key) c.cache.set(key, copy(d, false));
      return copy(d, enforced);
    } catch (e) {
      return fail(`policy evaluation failed: ${(e as Error).message}`);
    }
  }

  /** The decision, or the text of a failed evaluation (a string: not cached). `enforced` is set by the caller. */
  #decide(c: InForce, req: AccessRequest, context: CedarContext, attrs: CedarContext): AccessDecision | string {
    const enforced = false;
    const first = this.#eval(c, req, context, attrs);
    if (first.type === 'failure') return `policy evaluation failed: ${first.errors.map(describe).join('; ')}`;
    const resp = first.response;
    const errs = resp.diagnostics.errors.map((e) => `policy ${e.policyId} could not be evaluated: ${e.error.message}`);
    // Cedar skips a policy that errors; for a forbid that would turn "deny" into "allow", so fail closed.
    const brokenForbids = resp.diagnostics.errors.filter((e) => c.meta.get(e.policyId)?.effect !== 'permit').map((e) => e.policyId)
      .sort((a, b) => (c.meta.get(a)?.order ?? -1) - (c.meta.get(b)?.order ?? -1));
    if (brokenForbids.length) return { decision: 'deny', enforced, reasons: brokenForbids, messages: errs, controls: [] };
    const decided = policies(c, resp.diagnostics.reason);
    if (resp.decision === 'allow') {
      return { decision: 'allow', enforced, reasons: decided.map((m) => m.id), messages: errs, controls: union(decided.map((m) => m.controls)) };
    }
    if (decided.length === 0) {
      return { decision: 'deny', enforced, reasons: ['default-deny'], controls: [],
        messages: [`no policy permits ${req.action} for ${req.user.role} on ${req.context.network} with a ${req.context.deviceCompliance} device`, ...errs] };
    }
    const messages = [...decided.map((m) => m.reason ?? `forbidden by ${m.id}`), ...errs];
    if (decided.every((m) => m.stepUp)) {
      const again = this.#eval(c, req, this.#context(c, req, true), attrs);
      if (again.type === 'success' && again.response.decision === 'allow') {
        const permits = policies(c, again.response.diagnostics.reason);
        const acr = decided.reduce<Acr>((a, m) => (ACR_RANK[m.acr] > ACR_RANK[a] ? m.acr : a), 'mfa');
        const ages = decided.map((m) => (m.maxAge === 'config' ? this.maxAuthAgeSec : m.maxAge)).filter((n): n is number => n !== undefined);
        const stepUp: AccessDecision['stepUp'] = { acr };
        if (ages.length) stepUp.maxAgeSec = Math.min(...ages);
        return { decision: 'step-up', enforced, reasons: decided.map((m) => m.id), messages,
          controls: union([...permits.map((m) => m.controls), ['mfa']]), stepUp };
      }
    }
    return { decision: 'deny', enforced, reasons: decided.map((m) => m.id), messages, controls: union(decided.map((m) => m.controls)) };
  }

  #check(req: AccessRequest): string | undefined {
    const ctx = req?.context;
    if (!req?.user || typeof req.user.username !== 'string' || !ctx) return 'malformed request';
    if (!(ACCESS_ACTIONS as readonly string[]).includes(req.action)) return `unknown action ${String(req.action)}`;
    if (!(NETWORK_LABELS as readonly string[]).includes(ctx.network)) return `unknown network label ${String(ctx.network)}`;
    if (!(DEVICE_COMPLIANCE as readonly string[]).includes(ctx.deviceCompliance)) return `unknown device compliance ${String(ctx.deviceCompliance)}`;
    if (!normalizeIp(ctx.ip)) return `not an IP address: ${String(ctx.ip).slice(0, 64)}`;
    if (ctx.notional !== undefined && (typeof ctx.notional !== 'number' || !Number.isFinite(ctx.notional) || ctx.notional < 0)) return 'notional must be a non-negative number';
    if (ctx.mfaAgeSec !== undefined && (typeof ctx.mfaAgeSec !== 'number' || !(ctx.mfaAgeSec >= 0))) return 'mfaAgeSec must be a non-negative number';
    return undefined;
  }

  /** The context Cedar evaluates; with assumeFreshMfa, as if a second factor had just been verified. */
  #context(c: InForce, req: AccessRequest, assumeFreshMfa: boolean): CedarContext {
    const ctx = req.context;
    const mfa = assumeFreshMfa || ctx.mfa === true;
    const context: CedarContext = {
      network: ctx.network,
      deviceCompliance: ctx.deviceCompliance,
      mfa,
      mfaAgeSec: assumeFreshMfa ? 0 : mfa ? clampInt(ctx.mfaAgeSec ?? 0) : NOT_RECENT,
      maxAuthAgeSec: this.maxAuthAgeSec,
      ip: { __extn: { fn: 'ip', arg: normalizeIp(ctx.ip)! } },
      rfqNotionalLimit: clampInt(this.rfqNotionalLimit),
      serviceAccountAuth: ctx.serviceAccountAuth === true,
      ipAllowListed: ctx.ipAllowListed === true,
      jitGrant: ctx.jitGrant === true,
    };
    if (typeof ctx.country === 'string' && ctx.country) context.country = ctx.country.toUpperCase();
    if (ctx.notional !== undefined) context.notional = clampInt(ctx.notional);
    return this.pruneInputs ? pick(context, c.spec.read) : context;
  }

  #principalAttrs(c: InForce, req: AccessRequest): CedarContext {
    const u = req.user;
    const attrs: CedarContext = {
      username: u.username, privileged: u.privileged === true, disabled: u.disabled === true,
      expectedCountries: Array.isArray(u.expectedCountries) ? u.expectedCountries : [],
    };
    // Whole-context use does not expose the principal's attributes; only a name can, hence the set's names or all.
    return this.pruneInputs && c.spec.read ? pick(attrs, c.spec.read) : attrs;
  }

  #eval(c: Compiled, req: AccessRequest, context: CedarContext, attrs: CedarContext): cedar.AuthorizationAnswer {
    const u = req.user;
    const principal = { type: `${NS}::User`, id: u.username };
    const role = { type: `${NS}::Role`, id: String(u.role) };
    return cedar.statefulIsAuthorized({
      principal,
      action: { type: `${NS}::Action`, id: req.action },
      resource: { type: `${NS}::Gateway`, id: 'parley' },
      context,
      // No schema at evaluation: the policies were validated against it at load and #check/#context build the
      // request with the schema's types; request validation would cost ~40% of the decision. A policy that
      // still errors is handled fail-closed in authorize().
      preparsedPolicySetId: c.psetId,
      entities: [
        { uid: principal, parents: [role], attrs },
        { uid: role, attrs: {}, parents: [] },
      ],
    });
  }
}

/** Cedar reports the deciding policies as a set in no fixed order; a decision lists them in the set's order. */
function policies(c: Compiled, ids: string[]): PolicyMeta[] {
  return ids.map((id) => c.meta.get(id)).filter((m): m is PolicyMeta => !!m).sort((a, b) => a.order - b.order);
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}
