// findings.json: every finding of an audit, one object per offending key and
// rule, for tooling (ticket creation, dashboards). results.json caps the
// findings it lists per rule; this file has them all. Names and ids only,
// never a secret (secret-like values were redacted when the inventory was read).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter } from '../reporters/reporter.js';
import type { AuditReport } from './audit.js';

export const FINDINGS_SCHEMA_VERSION = 1;

export function findingsJsonReporter(report: AuditReport): Reporter {
  return {
    name: 'findings',
    async write(_result, outDir) {
      const file = join(outDir, 'findings.json');
      const findings = report.outcomes.flatMap((o) =>
        o.findings.map((f) => ({ rule: o.id, severity: o.severity, gating: o.gating, ...f.key, detail: f.detail })),
      );
      const doc = {
        schemaVersion: FINDINGS_SCHEMA_VERSION,
        runId: report.runId,
        asOf: report.now,
        inventory: report.inventory,
        rules: report.outcomes.map((o) => ({
          id: o.id,
          title: o.title,
          severity: o.severity,
          gating: o.gating,
          verdict: o.verdict,
          findings: o.findings.length,
        })),
        findings,
      };
      await writeFile(file, `${JSON.stringify(doc, null, 1)}\n`, 'utf8');
      return [file];
    },
  };
}
