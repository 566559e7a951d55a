// findings.json: every finding of an audit, one object per offending key and
// rule, for tooling (ticket creation, dashboards), the keys each rule could
// not judge, what a baseline and waivers said, and every key audited — enough
// to be the next audit's baseline, to diff two audits, and to render the
// audit's report.html again (`keyprobe report`). results.json caps the
// findings it lists per rule; this file has them all. Names and ids only,
// never a secret (secret-like values were redacted when the inventory was read).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ItemAcceptance } from '../governance/acceptance.js';
import type { Waiver } from '../governance/waivers.js';
import type { FileReporter } from './reporter.js';
import type { AuditReport } from '../audit/audit.js';

/** 2: notVerifiable, keys, status and waivers, resolved, rule titles and descriptions. */
export const FINDINGS_SCHEMA_VERSION = 2;

export function findingsJsonReporter(report: AuditReport): FileReporter {
  return {
    name: 'findings',
    async write(_result, outDir) {
      const file = join(outDir, 'findings.json');
      await writeFile(file, `${JSON.stringify(findingsDocument(report), null, 1)}\n`, 'utf8');
      return [file];
    },
  };
}

function waiverJson(w: Waiver) {
  return { owner: w.owner, reason: w.reason, expires: w.expires, file: w.file, ...(w.line !== undefined ? { line: w.line } : {}) };
}

/** Adds what acceptance says to a finding's JSON object (in place: 100,000 findings, no copies). */
function addAcceptance(out: Record<string, unknown>, a: ItemAcceptance | undefined): Record<string, unknown> {
  if (!a) return out;
  if (a.status) out.status = a.status;
  if (a.waiver) out.waiver = waiverJson(a.waiver);
  if (a.expiredWaiver) out.expiredWaiver = waiverJson(a.expiredWaiver);
  out.gates = a.counts;
  return out;
}

export function findingsDocument(report: AuditReport) {
  const g = report.governance;
  return {
    schemaVersion: FINDINGS_SCHEMA_VERSION,
    runId: report.runId,
    asOf: report.now,
    inventory: report.inventory,
    ...(report.policyFile ? { policyFile: report.policyFile } : {}),
    ...(g
      ? {
          governance: {
            failOn: g.failOn,
            ...(g.baseline ? { baseline: g.baseline } : {}),
            ...(g.waivers
              ? {
                  waivers: {
                    file: g.waivers.file,
                    count: g.waivers.count,
                    expired: g.waivers.expired.map((w) => ({ target: w.target, ...(w.key ? { key: w.key } : {}), ...waiverJson(w) })),
                    unused: g.waivers.unused.map((w) => ({ target: w.target, ...(w.key ? { key: w.key } : {}), ...waiverJson(w) })),
                  },
                }
              : {}),
          },
        }
      : {}),
    rules: report.outcomes.map((o) => ({
      id: o.id,
      title: o.title,
      description: o.description,
      severity: o.severity,
      gating: o.gating,
      gatingNow: o.gatingNow,
      verdict: o.verdict,
      findings: o.findings.length,
      notVerifiable: o.notVerifiable.length,
      resolved: o.resolved.length,
    })),
    findings: report.outcomes.flatMap((o) =>
      o.findings.map((f) => {
        const out: Record<string, unknown> = { rule: o.id, severity: o.severity, gating: o.gating, ...f.key, detail: f.detail };
        if (f.aspect !== undefined) out.aspect = f.aspect;
        return addAcceptance(out, f.acceptance);
      }),
    ),
    notVerifiable: report.outcomes.flatMap((o) =>
      o.notVerifiable.map((n) =>
        addAcceptance({ rule: o.id, severity: o.severity, gating: o.gating, ...n.key, reason: n.reason }, n.acceptance),
      ),
    ),
    resolved: report.outcomes.flatMap((o) => o.resolved.map((r) => ({ ...r }))),
    keys: report.keys,
  };
}
