import { expect } from 'vitest';
import { FACT_IDS, postureReportSchema, type PostureReport } from '../report.ts';

/** What every report must satisfy, on any platform and any failure. */
export function expectWellFormed(report: PostureReport): void {
  expect(postureReportSchema.safeParse(report).success).toBe(true);
  expect(report.facts.map((f) => f.id)).toEqual([...FACT_IDS]);
  for (const f of report.facts) {
    expect(['pass', 'fail', 'unknown']).toContain(f.status);
    expect(f.evidence.command ?? f.evidence.source ?? f.evidence.error, `${f.id} has evidence`).toBeTruthy();
    if (f.status === 'unknown') expect(f.reason, `${f.id} unknown has a reason`).toBeTruthy();
  }
}

