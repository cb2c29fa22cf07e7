import { z } from 'zod';

/** One posture fact. `unknown` always carries a reason; nothing passes silently. */
export interface Fact {
  id: string;
  label: string;
  status: 'pass' | 'fail' | 'unknown';
  value?: unknown;
  reason?: string;
  evidence: { command?: string; args?: string[]; parsed?: unknown; source?: string; error?: string };
}

export type PosturePlatform = 'linux' | 'darwin' | 'win32';

export interface OsSummary {
  platform: PosturePlatform;
  distro: string;
  /** os-release ID on Linux ("debian", "ubuntu"), "macos" or "windows". */
  id: string;
  version: string;
  /** Windows: full build with update revision (10.0.22631.3447); macOS: build (23E224). */
  build: string;
  kernel: string;
  arch: string;
}

export interface PostureReport {
  agentVersion: string;
  collectedAt: string;
  platform: PosturePlatform;
  os: OsSummary;
  facts: Fact[];
}

/** The fact ids every report carries, in display order. */
export const FACT_IDS = [
  'os.version',
  'patch.lastInstalled',
  'patch.pending',
  'disk.encryption',
  'firewall',
  'screenLock',
  'secureBoot',
  'hardware.id',
  'agent.version',
] as const;
export type FactId = (typeof FACT_IDS)[number];

// A report that arrives from the wire (attestation payload) is hostile until this schema says otherwise.
const evidenceSchema = z
  .object({
    command: z.string().max(4096).optional(),
    args: z.array(z.string().max(4096)).max(64).optional(),
    parsed: z.unknown().optional(),
    source: z.string().max(4096).optional(),
    error: z.string().max(8192).optional(),
  })
  .strict();

export const factSchema = z
  .object({
    id: z.string().min(1).max(128),
    label: z.string().max(256),
    status: z.enum(['pass', 'fail', 'unknown']),
    value: z.unknown().optional(),
    reason: z.string().max(8192).optional(),
    evidence: evidenceSchema,
  })
  .strict();

export const osSummarySchema = z
  .object({
    platform: z.enum(['linux', 'darwin', 'win32']),
    distro: z.string().max(256),
    id: z.string().max(128),
    version: z.string().max(128),
    build: z.string().max(128),
    kernel: z.string().max(256),
    arch: z.string().max(64),
  })
  .strict();

export const postureReportSchema = z
  .object({
    agentVersion: z.string().min(1).max(64),
    collectedAt: z.iso.datetime(),
    platform: z.enum(['linux', 'darwin', 'win32']),
    os: osSummarySchema,
    facts: z.array(factSchema).max(256),
  })
  .strict();

export function findFact(report: PostureReport, id: string): Fact | undefined {
  return report.facts.find((f) => f.id === id);
}
