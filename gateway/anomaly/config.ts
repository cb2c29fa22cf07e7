/**
 * The `anomaly` section of the gateway config: one block per rule, each off, log-only or enforce.
 * Everything is off by default; docs/operations.md suggests starting every rule in log-only mode and reading
 * its anomaly.detected lines (and parley_anomalies_total{mode="log-only"}) before enforcing it.
 *
 *   log-only  the finding is audited (anomaly.detected, mode log-only) and counted; the score is unchanged
 *   enforce   the finding is also one 'anomaly' risk factor of the user's sessions for activeSec (decision text
 *             included), is alerted, and an action anomaly asks for a fresh step-up (or ends the session when the
 *             session's score reaches risk.thresholds.denyAt)
 */
import { z } from 'zod';

const mode = z.enum(['off', 'log-only', 'enforce']).default('off');
const score = z.number().min(0).max(1000);

export const anomalySchema = z.object({
  /** The rules' history (logons, notionals, rates, failures), under dataDir unless absolute. */
  historyFile: z.string().default('anomaly-history.json'),
  /** How long an enforced anomaly counts against the user's sessions. */
  activeSec: z.number().int().min(1).max(30 * 86_400).default(3600),
  impossibleTravel: z.object({
    mode, score: score.default(40),
    /** Faster than this between two logons' locations is impossible (a long-haul flight is ~900 km/h). */
    maxSpeedKmh: z.number().min(1).max(100_000).default(1000),
    /** Locations closer than this are never impossible (country-level GeoIP is coarse). */
    minDistanceKm: z.number().min(0).max(40_000).default(500),
  }).strict().prefault({}),
  passwordSpray: z.object({
    mode, score: score.default(30),
    windowSec: z.number().int().min(1).max(86_400).default(600),
    /** Refused logons naming this many distinct users from one source address within the window. */
    distinctUsers: z.number().int().min(2).max(10_000).default(5),
  }).strict().prefault({}),
  notional: z.object({
    mode, score: score.default(30),
    /** RFQs the user must have made before the rule judges (robust statistics need a history). */
    minHistory: z.number().int().min(3).max(10_000).default(10),
    /** Robust z-score (x - median) / (1.4826 * MAD) above which a notional is far above the user's own. */
    robustZ: z.number().min(1).max(1000).default(6),
  }).strict().prefault({}),
  rate: z.object({
    mode, score: score.default(20),
    windowSec: z.number().int().min(1).max(86_400).default(60),
    /** Earlier active windows the user must have before the rule judges. */
    minHistory: z.number().int().min(1).max(10_000).default(5),
    /** More than factor x the user's median per active window (and at least minCount) is anomalous. */
    factor: z.number().min(1).max(1000).default(5),
    minCount: z.number().int().min(1).max(1_000_000).default(10),
  }).strict().prefault({}),
  offHours: z.object({
    mode, score: score.default(15),
    minHistory: z.number().int().min(1).max(100_000).default(20),
    /** A logon hour (UTC, +-1 h) holding less than this share of the user's logons is unusual. */
    minShare: z.number().min(0).max(1).default(0.02),
  }).strict().prefault({}),
}).strict();

export type AnomalyConfig = z.output<typeof anomalySchema>;
export type RuleName = 'impossible-travel' | 'password-spray' | 'notional' | 'rate' | 'off-hours';
export type RuleMode = 'off' | 'log-only' | 'enforce';

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = anomalySchema.parse({});
