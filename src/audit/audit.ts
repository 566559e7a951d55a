// Runs every rule over an inventory and turns the outcome into the same
// RunResult a launch run produces, so the JUnit and JSON reporters (and any
// other run reporter) work unchanged: the inventory is one "profile", each
// rule one check result. The richer AuditReport (every finding, counts by
// environment and owner) feeds the audit's own HTML and findings.json.
import { userInfo } from 'node:os';
import { RESULT_SCHEMA_VERSION, type CheckResult, type ProfileSummary, type RunResult, type Severity, type Verdict } from '../result.js';
import { launchVerdict } from '../runner/verdict.js';
import { newRunId } from '../runner/run.js';
import { SecretRegistry } from '../secrets.js';
import { TOOL } from '../version.js';
import { keyLabel, type Inventory } from './inventory.js';
import { settingsOf, type AuditPolicy } from './policy.js';
import type { AnyRule, Finding } from './rule.js';
import { RULES } from './rules/index.js';

/** Keys named in a rule's one-line message; the rest are counted. */
const KEYS_IN_MESSAGE = 10;
/** Findings listed in a rule's "observed" (and so in JUnit and results.json); findings.json has them all. */
const FINDINGS_IN_OBSERVED = 1000;

export interface RuleOutcome {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly gating: boolean;
  readonly verdict: Verdict;
  readonly findings: readonly Finding[];
}

export interface AuditReport {
  readonly runId: string;
  readonly now: string;
  readonly inventory: {
    readonly source: string;
    readonly format: Inventory['format'];
    readonly rows: number;
    readonly keys: number;
    readonly enabled: number;
    readonly byEnvironment: Readonly<Record<string, number>>;
    /** "(no owner)" counts keys without one. */
    readonly byOwner: Readonly<Record<string, number>>;
  };
  readonly policyFile?: string;
  readonly outcomes: readonly RuleOutcome[];
  readonly result: RunResult;
}

export interface AuditOptions {
  readonly inventory: Inventory;
  readonly policy: AuditPolicy;
  /** The instant rules judge by (default: now). */
  readonly now?: Date;
  readonly operator?: string;
  readonly runId?: string;
  /** Secrets known to the caller (admin token, redacted inventory values); every text is redacted with them. */
  readonly secrets?: SecretRegistry;
  /** The origin the inventory was fetched from, for the report (API source). */
  readonly origin?: string;
}

export function runAudit(options: AuditOptions): AuditReport {
  const started = new Date();
  const now = options.now ?? started;
  const { inventory, policy } = options;
  const secrets = options.secrets ?? new SecretRegistry();
  for (const s of inventory.secrets) secrets.add(s, 'inventory secret');
  const settings = settingsOf(policy, now.getTime());

  const outcomes: RuleOutcome[] = [];
  const checks: CheckResult[] = [];
  for (const rule of RULES) {
    const ruleSettings = policy.rules.get(rule.id)!;
    const t0 = performance.now();
    const ruleStarted = new Date();
    let findings: Finding[] = [];
    if (ruleSettings.enabled) findings = rule.evaluate(inventory, ruleSettings.params, settings);
    const verdict: Verdict = !ruleSettings.enabled ? 'skip' : findings.length > 0 ? 'fail' : 'pass';
    const outcome: RuleOutcome = {
      id: rule.id,
      title: rule.title,
      description: rule.description,
      severity: ruleSettings.severity,
      gating: ruleSettings.gating,
      verdict,
      findings,
    };
    outcomes.push(outcome);
    checks.push(toCheckResult(rule, outcome, ruleSettings.params, settings, inventory, secrets, ruleStarted, performance.now() - t0));
  }

  const finished = new Date();
  const runId = options.runId ?? newRunId(started);
  const { verdict, exitCode } = launchVerdict(checks, false);
  const profile: ProfileSummary = {
    file: inventory.source,
    digest: inventory.digest,
    // Stable across runs: CI tools track testcases by suite and class name.
    keyName: 'key-inventory',
    system: 'inventory',
    environment:
      Object.keys(countBy(inventory.keys, (k) => k.environment))
        .sort()
        .join(', ') || 'none',
    purpose: 'audit',
    // An inventory has no key of its own to fingerprint.
    keyFingerprint: 'none',
    targetOrigin: options.origin ?? `file (${inventory.format})`,
    targetEnvironment: 'all',
  };
  const notes: string[] = [
    `Audited ${inventory.keys.length} of ${inventory.rowCount} rows as of ${now.toISOString()}${policy.file ? ` with policy ${policy.file}` : ' with the default policy'}.`,
  ];
  if (inventory.ignoredFields.length)
    notes.push(
      `Fields the audit does not use were ignored: ${inventory.ignoredFields
        .slice(0, 20)
        .map((f) => secrets.redact(f))
        .join(', ')}${inventory.ignoredFields.length > 20 ? ', …' : ''}.`,
    );
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    tool: { ...TOOL },
    operator: options.operator ?? currentUser(),
    suite: { name: 'audit', file: policy.file ?? '(default audit policy)' },
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    incomplete: false,
    profiles: [{ profile, checks, requestsSent: inventory.requests, requestBudget: Math.max(1, inventory.requests), notes }],
    verdict,
    exitCode,
  };
  return {
    runId,
    now: now.toISOString(),
    inventory: {
      source: inventory.source,
      format: inventory.format,
      rows: inventory.rowCount,
      keys: inventory.keys.length,
      enabled: inventory.keys.reduce((n, k) => n + (k.enabled ? 1 : 0), 0),
      byEnvironment: countBy(inventory.keys, (k) => k.environment),
      byOwner: countBy(inventory.keys, (k) => k.owner ?? '(no owner)'),
    },
    ...(policy.file ? { policyFile: policy.file } : {}),
    outcomes,
    result,
  };
}

function toCheckResult(
  rule: AnyRule,
  outcome: RuleOutcome,
  params: unknown,
  settings: ReturnType<typeof settingsOf>,
  inventory: Inventory,
  secrets: SecretRegistry,
  startedAt: Date,
  durationMs: number,
): CheckResult {
  const { findings } = outcome;
  const summary = rule.summary(params, settings);
  const subject = rule.id === 'audit.inventory-rows-valid' ? `all ${inventory.rowCount} rows` : `all ${inventory.keys.length} keys`;
  let message: string;
  let observed: string | undefined;
  if (outcome.verdict === 'skip') message = 'switched off in the audit policy';
  else if (findings.length === 0)
    message = rule.id === 'audit.secret-in-inventory' ? 'no secret-like value found in the inventory' : `${subject} pass`;
  else {
    const named = findings.slice(0, KEYS_IN_MESSAGE).map((f) => keyLabel(f.key));
    const more = findings.length > KEYS_IN_MESSAGE ? ` and ${findings.length - KEYS_IN_MESSAGE} more` : '';
    message = `${capitalise(summary)} (${findings.length}): ${named.join(', ')}${more}`;
    const lines = findings
      .slice(0, FINDINGS_IN_OBSERVED)
      .map((f) => `${keyLabel(f.key)}, row ${f.key.row}${f.key.line !== undefined ? ` (line ${f.key.line})` : ''}: ${f.detail}`);
    if (findings.length > FINDINGS_IN_OBSERVED)
      lines.push(`… and ${findings.length - FINDINGS_IN_OBSERVED} more (every finding is in findings.json)`);
    observed = lines.join('\n');
  }
  const advisories: string[] = [];
  if (rule.id === 'audit.inventory-rows-valid' && inventory.ignoredFields.length)
    advisories.push(`ignored fields the audit does not use: ${inventory.ignoredFields.slice(0, 20).join(', ')}`);
  return {
    id: rule.id,
    title: rule.title,
    severity: outcome.severity,
    gating: outcome.gating,
    destructive: false,
    verdict: outcome.verdict,
    message: secrets.redact(message),
    expected: rule.expected(params, settings),
    ...(observed !== undefined ? { observed: secrets.redact(observed) } : {}),
    advisories: advisories.map((a) => secrets.redact(a)),
    measurements: { rows: inventory.rowCount, keys: inventory.keys.length, findings: findings.length },
    evidence: [],
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs * 100) / 100,
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const item of items) {
    const k = keyOf(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
