// `keyprobe report` on an audit's results.json: the audit is rendered again
// as an audit — its report.html from the findings.json beside results.json,
// JUnit from the result — and the fresh manifest covers findings.json too.
// Without findings.json the audit report cannot be made, and a launch report
// of a "key" called key-inventory would be wrong: exit 2, nothing written.
import { basename, dirname, join } from 'node:path';
import type { AuditedFinding, AuditedNotVerifiable, AuditGovernance, AuditReport, RuleOutcome } from '../../audit/audit.js';
import type { InventoryField } from '../../audit/inventory.js';
import { RULES } from '../../audit/rules/index.js';
import { ConfigError } from '../../errors.js';
import type { ItemAcceptance } from '../../governance/acceptance.js';
import { isFindingsDoc, readJsonFile, type BaselineItem } from '../../governance/baseline.js';
import type { Waiver } from '../../governance/waivers.js';
import { auditHtmlReporter } from '../../reporters/audit-html.js';
import { junitReporter } from '../../reporters/junit.js';
import { isInventoryResult, type RunResult, type Severity, type Verdict } from '../../result.js';
import type { CliIo } from '../io.js';
import { checkOutDir, publishReports } from '../publish.js';
import { selectReporters } from '../reporter-selection.js';

/** An audit's results.json: its subject is an inventory. */
export function isAuditResult(result: RunResult): boolean {
  return isInventoryResult(result);
}

/** What `keyprobe report` can render again of an audit: findings.json and results.json are its inputs, published as read. */
const AUDIT_REPORT_REPORTERS = ['console', 'junit', 'html'] as const;

export async function reportAudit(
  io: CliIo,
  file: string,
  result: RunResult,
  opts: { readonly out?: string; readonly quiet?: boolean; readonly reporter?: string[] },
): Promise<number> {
  const names = selectReporters(opts.reporter, AUDIT_REPORT_REPORTERS, AUDIT_REPORT_REPORTERS);
  const findingsFile = join(dirname(file), 'findings.json');
  let data: unknown;
  try {
    data = readJsonFile(findingsFile, findingsFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError([
      {
        file,
        path: '',
        message: `is the results.json of an audit; its findings.json is needed beside it to render the audit report (${err.problems[0]?.message ?? 'unreadable'})`,
      },
    ]);
  }
  if (!isFindingsDoc(data) || !Array.isArray((data as { rules?: unknown }).rules))
    throw new ConfigError([{ file: findingsFile, path: '', message: 'is not a findings.json written by keyprobe audit' }]);
  const report = auditReportOf(data as unknown as FindingsDoc, result);

  const outDir = await checkOutDir(io.cwd, opts.out, dirname(file));
  // The one publish pipeline (cli/publish.ts). The inputs join the new set, so the directory stays one verifiable whole.
  // A stored result holds no secrets to look for (keys are fingerprints); the scan runs with none, as `keyprobe report`'s does.
  const reporters = [
    ...(names.includes('junit') ? [junitReporter] : []),
    // The audit's own report.html: the run's would show an inventory as one key.
    ...(names.includes('html') ? [auditHtmlReporter(report)] : []),
  ];
  const published = await publishReports(result, outDir, [], reporters, [
    { from: file, name: 'results.json' },
    { from: findingsFile, name: 'findings.json' },
  ]);
  for (const f of published.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
  const files = published.files;
  if (names.includes('console') && !opts.quiet)
    io.stdout.write(`Rendered audit ${result.runId} into ${outDir}: ${files.map((f) => basename(f)).join(', ')}\n`);
  if (names.includes('console')) io.stdout.write(`Audit verdict: ${result.verdict.toUpperCase()} — exit ${result.exitCode}\n`);
  // A report that could not be written leaves a clean audit not fully on record: exit 3, as for a run.
  return published.failures.length > 0 && result.exitCode === 0 ? 3 : result.exitCode;
}

interface WaiverJson {
  owner: string;
  reason: string;
  expires: string;
  file: string;
  line?: number;
  target?: string;
  key?: string;
}

interface AcceptanceJson {
  status?: 'new' | 'persisting';
  waiver?: WaiverJson;
  expiredWaiver?: WaiverJson;
  gates?: boolean;
}

type KeyJson = { id: string; name?: string; row: number; line?: number; environment?: string; owner?: string };

interface FindingsDoc {
  runId: string;
  asOf: string;
  inventory: AuditReport['inventory'];
  policyFile?: string;
  governance?: {
    failOn: 'new' | 'any';
    baseline?: NonNullable<AuditGovernance['baseline']>;
    waivers?: { file: string; count: number; expired: WaiverJson[]; unused: WaiverJson[] };
  };
  rules: {
    id: string;
    title: string;
    description?: string;
    severity: Severity;
    gating: boolean;
    gatingNow?: boolean;
    verdict: Verdict;
  }[];
  findings: (KeyJson & AcceptanceJson & { rule: string; detail: string; aspect?: string })[];
  notVerifiable?: (KeyJson & AcceptanceJson & { rule: string; reason: string })[];
  resolved?: (BaselineItem & { rule: string })[];
  keys?: { id: string; name?: string }[];
}

function waiverOf(w: WaiverJson, target: string, key?: string): Waiver {
  return {
    kind: target.startsWith('audit.') ? 'rule' : 'check',
    target: w.target ?? target,
    ...((w.key ?? key) !== undefined ? { key: (w.key ?? key)! } : {}),
    owner: w.owner,
    reason: w.reason,
    expires: w.expires,
    until: Number.NaN,
    file: w.file,
    ...(w.line !== undefined ? { line: w.line } : {}),
  };
}

function acceptanceOf(x: AcceptanceJson, rule: string): ItemAcceptance | undefined {
  if (x.status === undefined && x.waiver === undefined && x.expiredWaiver === undefined && x.gates === undefined) return undefined;
  return {
    ...(x.status ? { status: x.status } : {}),
    ...(x.waiver ? { waiver: waiverOf(x.waiver, rule) } : {}),
    ...(x.expiredWaiver ? { expiredWaiver: waiverOf(x.expiredWaiver, rule) } : {}),
    counts: x.gates ?? true,
  };
}

function keyOf(k: KeyJson) {
  return {
    id: String(k.id),
    ...(k.name !== undefined ? { name: k.name } : {}),
    row: k.row,
    ...(k.line !== undefined ? { line: k.line } : {}),
    ...(k.environment !== undefined ? { environment: k.environment } : {}),
    ...(k.owner !== undefined ? { owner: k.owner } : {}),
  };
}

/** The AuditReport the audit-html reporter renders, from findings.json (v1 or v2) and results.json. */
function auditReportOf(doc: FindingsDoc, result: RunResult): AuditReport {
  const descriptions = new Map(RULES.map((r) => [r.id, r.description]));
  const outcomes: RuleOutcome[] = doc.rules.map((r) => {
    const findings: AuditedFinding[] = doc.findings
      .filter((f) => f.rule === r.id)
      .map((f) => {
        const acceptance = acceptanceOf(f, r.id);
        return {
          key: keyOf(f),
          detail: f.detail,
          ...(f.aspect !== undefined ? { aspect: f.aspect } : {}),
          ...(acceptance ? { acceptance } : {}),
        };
      });
    const notVerifiable: AuditedNotVerifiable[] = (doc.notVerifiable ?? [])
      .filter((n) => n.rule === r.id)
      .map((n) => {
        const acceptance = acceptanceOf(n, r.id);
        return { key: keyOf(n), reason: n.reason, ...(acceptance ? { acceptance } : {}) };
      });
    return {
      id: r.id,
      title: r.title,
      description: r.description ?? descriptions.get(r.id) ?? '',
      severity: r.severity,
      gating: r.gating,
      gatingNow: r.gatingNow ?? r.gating,
      verdict: r.verdict,
      findings,
      notVerifiable,
      resolved: (doc.resolved ?? []).filter((x) => x.rule === r.id),
    };
  });
  const g = doc.governance;
  const governance: AuditGovernance | undefined = g
    ? {
        failOn: g.failOn,
        ...(g.baseline ? { baseline: g.baseline } : {}),
        ...(g.waivers
          ? {
              waivers: {
                file: g.waivers.file,
                count: g.waivers.count,
                expired: g.waivers.expired.map((w) => waiverOf(w, w.target ?? '')),
                unused: g.waivers.unused.map((w) => waiverOf(w, w.target ?? '')),
              },
            }
          : {}),
      }
    : undefined;
  return {
    runId: doc.runId,
    now: doc.asOf,
    inventory: { ...doc.inventory, recorded: (doc.inventory.recorded ?? []) as InventoryField[] },
    keys: doc.keys ?? [],
    ...(doc.policyFile ? { policyFile: doc.policyFile } : {}),
    outcomes,
    ...(governance ? { governance } : {}),
    result,
  };
}
