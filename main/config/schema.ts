/**
 * The one strict schema of IT's managed configuration, whatever channel delivers it (Windows registry
 * policy, macOS managed preferences, the policy file), and of the user's own settings (a subset).
 *
 * The leaves of the schema (`policyLeaves()`) are the policy keys IT sees: the registry value names under
 * HKLM\SOFTWARE\Policies\Parley, the keys of the ADMX template and of the example .mobileconfig are all
 * checked against them in tests, so a field added here cannot be missing from a template.
 */
import { z } from 'zod';

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.\-:\[\]]+$/, 'a host name or IP address');
const port = z.number().int().min(1).max(65_535);
const spkiPin = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of a SHA-256 digest (44 characters)');
const httpsUrl = z
  .string()
  .max(2_048)
  .refine((u) => URL.canParse(u) && new URL(u).protocol === 'https:', 'an https:// URL');
const reattest = z.number().int().min(10).max(86_400);
const compId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a FIX CompID (letters, digits, . _ -)');
const gatewaySchema = z.strictObject({ host: hostname, port, compId: compId.optional() });
// A certificate subject's common name as Windows shows it (printable, no control characters).
const publisherName = z.string().min(1).max(256).regex(/^[^\x00-\x1f\x7f]+$/, 'printable text');

export const UPDATE_MODES = ['it-managed', 'self-update'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];

export const updatesSchema = z
  .strictObject({
    /** it-managed: the app never updates itself (IT pushes the next installer); self-update: from feedUrl. */
    mode: z.enum(UPDATE_MODES),
    /** IT's own update feed (electron-updater generic provider), https only. */
    feedUrl: httpsUrl.optional(),
    /** Windows: the Authenticode signer name(s) every update must carry (the running app's publisher). */
    publisherNames: z.array(publisherName).min(1).max(10).optional(),
  })
  .superRefine((u, ctx) => {
    if (u.mode === 'self-update' && u.feedUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['feedUrl'], message: 'is required when updates.mode is self-update' });
    }
  });

export const PolicyFileSchema = z.strictObject({
  $schema: z.string().max(2_048).optional(),
  gateway: gatewaySchema.optional(),
  /** PEM file with the CA certificate(s) that issue the gateway's certificate; relative to the policy file. */
  caBundle: z.string().min(1).max(4_096).optional(),
  spkiPins: z.array(spkiPin).min(1).max(20).optional(),
  enrollmentUrl: httpsUrl.optional(),
  reattestIntervalSec: reattest.optional(),
  /** For silent enrollment by IT; consumed once. */
  enrollmentToken: z.string().min(8).max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII').optional(),
  updates: updatesSchema.optional(),
});
export type PolicyFile = z.infer<typeof PolicyFileSchema>;

export const UserSettingsSchema = z.strictObject({
  gateway: gatewaySchema.optional(),
  caBundle: z.string().min(1).max(4_096).optional(),
  spkiPins: z.array(spkiPin).min(1).max(20).optional(),
  enrollmentUrl: httpsUrl.optional(),
  reattestIntervalSec: reattest.optional(),
});
export type UserSettings = z.infer<typeof UserSettingsSchema>;

/** What a leaf holds, which decides its registry type (REG_SZ, REG_DWORD, REG_MULTI_SZ) and ADMX element. */
export type LeafKind =
  | { kind: 'string' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'string-list' }
  | { kind: 'choice'; options: readonly string[] };

export interface PolicyLeaf {
  /** Dotted path, e.g. `gateway.host`: the registry value name and the documented policy key. */
  key: string;
  /** The top-level field it belongs to (`gateway`): one ADMX policy per top-level field. */
  group: string;
  type: LeafKind;
  required: boolean;
}

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike; shape?: Record<string, ZodLike>; element?: ZodLike } };
  minValue?: number | null;
  maxValue?: number | null;
  options?: readonly string[];
}

function leafKind(s: ZodLike, key: string): LeafKind {
  const t = s._zod.def.type;
  if (t === 'string') return { kind: 'string' };
  if (t === 'number') return { kind: 'integer', min: s.minValue ?? 0, max: s.maxValue ?? 0xffff_ffff };
  if (t === 'enum') return { kind: 'choice', options: s.options ?? [] };
  if (t === 'array' && s._zod.def.element?._zod.def.type === 'string') return { kind: 'string-list' };
  throw new Error(`policy schema: ${key} has a type (${t}) no OS channel can carry`);
}

function walk(shape: Record<string, ZodLike>, prefix: string, group: string | null, out: PolicyLeaf[]): void {
  for (const [name, field] of Object.entries(shape)) {
    if (name === '$schema') continue; // an editor hint in the JSON file, not a policy
    let s = field;
    let required = true;
    while (s._zod.def.type === 'optional') {
      required = false;
      s = s._zod.def.innerType!;
    }
    const key = prefix + name;
    if (s._zod.def.type === 'object') walk(s._zod.def.shape!, `${key}.`, group ?? name, out);
    else out.push({ key, group: group ?? name, type: leafKind(s, key), required });
  }
}

/** Every policy key of the schema, in schema order. */
export function policyLeaves(): PolicyLeaf[] {
  const out: PolicyLeaf[] = [];
  walk((PolicyFileSchema as unknown as { shape: Record<string, ZodLike> }).shape, '', null, out);
  return out;
}

export interface ConfigError {
  /** The source: a file path, or the registry key. */
  file: string;
  field: string;
  problem: string;
}
export function describeConfigError(e: ConfigError): string {
  return `${e.file}: ${e.field}: ${e.problem}`;
}

export type LoadResult<T> = { ok: true; value: T } | { ok: false; error: ConfigError };

export function fail(file: string, field: string, problem: string): { ok: false; error: ConfigError } {
  return { ok: false, error: { file, field, problem } };
}

/** Validates raw input against a schema; the first issue becomes a ConfigError naming source and field. */
export function parseWith<S extends z.ZodType>(file: string, schema: S, raw: unknown): LoadResult<z.infer<S>> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') problem = `unknown setting(s): ${issue.keys.slice(0, 5).join(', ')}`;
  return fail(file, field, problem);
}
