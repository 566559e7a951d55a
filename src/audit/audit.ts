// Runs every rule over an inventory and turns the outcome into the same
// RunResult a launch run produces, so the JUnit and JSON reporters (and any
// other run reporter) work unchanged: the inventory is one "profile", each
// rule one check result. The richer AuditReport (every finding, the keys a
// rule could not judge, counts by environment and owner, what a baseline and
// waivers say) feeds the audit's own HTML and findings.json.
import { userInfo } from 'node:os';
import { acceptanceTag, Acceptor, type AcceptanceInput, type FailOn, type ItemAcceptance } from '../governance/acceptance.js';
import type { BaselineItem } from '../governance/baseline.js';
import { waiverLabel, type Waiver } from '../governance/waivers.js';
import { RESULT_SCHEMA_VERSION, type CheckResult, type ProfileSummary, type RunResult, type Severity, type Verdict } from '../result.js';
import { launchVerdict } from '../runner/verdict.js';
import { newRunId } from '../runner/run.js';
import { SecretRegistry } from '../secrets.js';
import { TOOL } from '../version.js';
import { keyLabel, type Inventory, type InventoryField } from './inventory.js';
import { settingsOf, type AuditPolicy } from './policy.js';
import type { AnyRule, Finding, NotVerifiable } from './rule.js';
import { RULES } from './rules/index.js';

/** Keys named in a rule's one-line message; the rest are counted. */
const KEYS_IN_MESSAGE = 10;
/** Findings listed in a rule's "observed" (and so in JUnit and results.json); findings.json has them all. */
const FINDINGS_IN_OBSERVED = 1000;

/** A finding, with what the baseline and waivers say about it. */
export type AuditedFinding = Finding & { readonly acceptance?: ItemAcceptance };
export type AuditedNotVerifiable = NotVerifiable & { readonly acceptance?: ItemAcceptance };

export interface RuleOutcome {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  /** Whether the policy makes this rule gate. */
  readonly gating: boolean;
  /** Whether it gates this audit: the policy says so, and something of it is neither waived nor (with --fail-on new) persisting. */
  readonly gatingNow: boolean;
  readonly verdict: Verdict;
  readonly findings: readonly AuditedFinding[];
  readonly notVerifiable: readonly AuditedNotVerifiable[];
  /** Findings (and unjudged keys) of the baseline this audit no longer has. */
  readonly resolved: readonly BaselineItem[];
}

/** What the baseline and the waivers did to this audit. */
export interface AuditGovernance {
  readonly failOn: FailOn;
  readonly baseline?: {
    readonly file: string;
    readonly runId: string;
    readonly asOf?: string;
    readonly keys?: number;
    /** Findings per rule in the baseline, for the trend. */
    readonly countsByRule: Readonly<Record<string, number>>;
    readonly keysAdded?: readonly string[];
    readonly keysRemoved?: readonly string[];
  };
  readonly waivers?: {
    readonly file: string;
    readonly count: number;
    readonly expired: readonly Waiver[];
    readonly unused: readonly Waiver[];
  };
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
    /** Requests (pages) it took to read (API source). */
    readonly pages?: number;
    readonly byEnvironment: Readonly<Record<string, number>>;
    /** "(no owner)" counts keys without one. */
    readonly byOwner: Readonly<Record<string, number>>;
    /** The inventory fields the source records; the others are unknown for every key. */
    readonly recorded: readonly InventoryField[];
  };
  /** Every key audited, id → name, for keys added and removed between runs. */
  readonly keys: readonly { readonly id: string; readonly name?: string }[];
  readonly policyFile?: string;
  readonly outcomes: readonly RuleOutcome[];
  readonly governance?: AuditGovernance;
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
  /** A baseline, waivers and what gates; without it every finding gates. */
  readonly acceptance?: AcceptanceInput;
}

export function runAudit(options: AuditOptions): AuditReport {
  const started = new Date();
  const now = options.now ?? started;
  const { inventory, policy } = options;
  const secrets = options.secrets ?? new SecretRegistry();
  for (const s of inventory.secrets) secrets.add(s, 'inventory secret');
  const settings = settingsOf(policy, now.getTime());
  const acceptor = options.acceptance ? new Acceptor(options.acceptance, now.getTime()) : undefined;

  const outcomes: RuleOutcome[] = [];
  const checks: CheckResult[] = [];
  for (const rule of RULES) {
    const ruleSettings = policy.rules.get(rule.id)!;
    const t0 = performance.now();
    const ruleStarted = new Date();
    let findings: AuditedFinding[] = [];
    let notVerifiable: AuditedNotVerifiable[] = [];
    if (ruleSettings.enabled) {
      const output = rule.evaluate(inventory, ruleSettings.params, settings);
      findings = output.findings;
      notVerifiable = output.notVerifiable;
      if (acceptor) {
        // Built field by field, not spread: one object per finding of 100,000 keys.
        findings = findings.map((f) => {
          const acceptance = acceptor.judge('finding', rule.id, f.key.id, f.key.name, f.aspect);
          return f.aspect === undefined
            ? { key: f.key, detail: f.detail, acceptance }
            : { key: f.key, detail: f.detail, aspect: f.aspect, acceptance };
        });
        notVerifiable = notVerifiable.map((n) => ({
          key: n.key,
          reason: n.reason,
          acceptance: acceptor.judge('notVerifiable', rule.id, n.key.id, n.key.name),
        }));
      }
    }
    const counts = (x: { acceptance?: ItemAcceptance }) => x.acceptance?.counts ?? true;
    const countingFindings = findings.some(counts);
    const countingUnjudged = notVerifiable.some(counts);
    // The verdict is what still gates, if anything does; otherwise what is true of all items (accepted ones too).
    const verdict: Verdict = !ruleSettings.enabled
      ? 'skip'
      : countingFindings
        ? 'fail'
        : countingUnjudged
          ? 'error'
          : findings.length
            ? 'fail'
            : notVerifiable.length
              ? 'error'
              : 'pass';
    const anything = findings.length + notVerifiable.length > 0;
    const outcome: RuleOutcome = {
      id: rule.id,
      title: rule.title,
      description: rule.description,
      severity: ruleSettings.severity,
      gating: ruleSettings.gating,
      gatingNow: ruleSettings.gating && (!anything || countingFindings || countingUnjudged),
      verdict,
      findings,
      notVerifiable,
      resolved: [],
    };
    outcomes.push(outcome);
    checks.push(toCheckResult(rule, outcome, ruleSettings.params, settings, inventory, secrets, ruleStarted, performance.now() - t0));
  }
  // Resolved items belong to their rule's outcome; known only once every rule has judged.
  if (acceptor) {
    const resolvedByRule = new Map<string, BaselineItem[]>();
    for (const item of acceptor.resolved()) {
      const list = resolvedByRule.get(item.rule);
      if (list) list.push(item);
      else resolvedByRule.set(item.rule, [item]);
    }
    for (let i = 0; i < outcomes.length; i++) {
      // A rule switched off this time judged nothing: its old findings are not resolved, just not looked at.
      const resolved = outcomes[i]!.verdict === 'skip' ? undefined : resolvedByRule.get(outcomes[i]!.id);
      if (resolved) outcomes[i] = { ...outcomes[i]!, resolved };
    }
  }

  const finished = new Date();
  const runId = options.runId ?? newRunId(started);
  const { verdict, exitCode } = launchVerdict(checks, false);
  const environments = countBy(inventory.keys, (k) => k.environment ?? NOT_RECORDED);
  const profile: ProfileSummary = {
    file: inventory.source,
    digest: inventory.digest,
    // Stable across runs: CI tools track testcases by suite and class name.
    keyName: 'key-inventory',
    system: 'inventory',
    environment: Object.keys(environments).sort().join(', ') || 'none',
    purpose: 'audit',
    // An inventory has no key of its own to fingerprint.
    keyFingerprint: 'none',
    targetOrigin: options.origin ?? `file (${inventory.format})`,
    targetEnvironment: 'all',
  };
  const governance = governanceOf(options.acceptance, inventory, now.getTime());
  const notes = auditNotes(inventory, policy, now, secrets, governance, outcomes);
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    // What was examined: the inventory itself. Its one "profile" below only gives JUnit and CI one suite to show.
    subject: {
      kind: 'inventory',
      source: inventory.source,
      format: inventory.format,
      rows: inventory.rowCount,
      keys: inventory.keys.length,
      asOf: now.toISOString(),
    },
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
      ...(inventory.format === 'api' ? { pages: inventory.requests } : {}),
      byEnvironment: environments,
      byOwner: countBy(inventory.keys, (k) => k.owner ?? '(no owner)'),
      recorded: [...inventory.recorded],
    },
    keys: inventory.keys.map((k) => (k.name !== undefined ? { id: k.id, name: k.name } : { id: k.id })),
    ...(policy.file ? { policyFile: policy.file } : {}),
    outcomes,
    ...(governance ? { governance } : {}),
    result,
  };
}

const NOT_RECORDED = '(not recorded)';

function governanceOf(acceptance: AcceptanceInput | undefined, inventory: Inventory, now: number): AuditGovernance | undefined {
  if (!acceptance) return undefined;
  const { baseline, waivers } = acceptance;
  let keysAdded: string[] | undefined;
  let keysRemoved: string[] | undefined;
  if (baseline?.keys) {
    const before = baseline.keys;
    const nowIds = new Set(inventory.keys.map((k) => k.id));
    keysAdded = inventory.keys.filter((k) => !before.has(k.id)).map((k) => keyLabel(k));
    keysRemoved = [...before]
      .filter(([id]) => !nowIds.has(id))
      .map(([id, name]) => keyLabel({ id, ...(name !== undefined ? { name } : {}) }));
  }
  return {
    failOn: acceptance.failOn,
    ...(baseline
      ? {
          baseline: {
            file: baseline.file,
            runId: baseline.runId,
            ...(baseline.asOf ? { asOf: baseline.asOf } : {}),
            ...(baseline.keyCount !== undefined ? { keys: baseline.keyCount } : {}),
            countsByRule: baseline.countsByRule ?? {},
            ...(keysAdded ? { keysAdded } : {}),
            ...(keysRemoved ? { keysRemoved } : {}),
          },
        }
      : {}),
    ...(waivers
      ? { waivers: { file: waivers.file, count: waivers.waivers.length, expired: waivers.expiredAt(now), unused: waivers.unused() } }
      : {}),
  };
}

function auditNotes(
  inventory: Inventory,
  policy: AuditPolicy,
  now: Date,
  secrets: SecretRegistry,
  governance: AuditGovernance | undefined,
  outcomes: readonly RuleOutcome[],
): string[] {
  const notes: string[] = [
    `Audited ${inventory.keys.length} of ${inventory.rowCount} rows as of ${now.toISOString()}${policy.file ? ` with policy ${policy.file}` : ' with the default policy'}.`,
  ];
  if (inventory.format === 'api')
    notes.push(`Read ${inventory.requests} page${inventory.requests === 1 ? '' : 's'} from the management API.`);
  if (inventory.ignoredFields.length)
    notes.push(
      `Fields the audit does not use were ignored: ${inventory.ignoredFields
        .slice(0, 20)
        .map((f) => secrets.redact(f))
        .join(', ')}${inventory.ignoredFields.length > 20 ? ', …' : ''}.`,
    );
  if (inventory.secretFieldValues > 0)
    notes.push(
      `${inventory.secretFieldValues} values of the secret field${inventory.secretFieldNames.length === 1 ? '' : 's'} ${inventory.secretFieldNames.join(', ')} were not read (the mapping declares them the key itself).`,
    );
  const g = governance;
  if (g?.baseline) {
    const all = outcomes.flatMap((o) => [...o.findings, ...o.notVerifiable]);
    const fresh = all.filter((x) => x.acceptance?.status === 'new').length;
    const persisting = all.filter((x) => x.acceptance?.status === 'persisting').length;
    const resolved = outcomes.reduce((n, o) => n + o.resolved.length, 0);
    notes.push(
      `Baseline ${g.baseline.file} (run ${g.baseline.runId}${g.baseline.asOf ? `, as of ${g.baseline.asOf}` : ''}): ${fresh} new, ${persisting} persisting, ${resolved} resolved; --fail-on ${g.failOn}.`,
    );
  }
  if (g?.waivers) {
    const waived = outcomes.reduce(
      (n, o) => n + o.findings.filter((f) => f.acceptance?.waiver).length + o.notVerifiable.filter((x) => x.acceptance?.waiver).length,
      0,
    );
    notes.push(`Waivers ${g.waivers.file}: ${g.waivers.count} listed, ${waived} findings waived.`);
    for (const w of g.waivers.expired) notes.push(`Waiver ${waiverLabel(w)} expired ${w.expires}: it no longer waives.`);
    for (const w of g.waivers.unused) notes.push(`Waiver ${waiverLabel(w)} matched nothing in this audit.`);
  }
  return notes.map((n) => secrets.redact(n));
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
  const { findings, notVerifiable } = outcome;
  const summary = rule.summary(params, settings);
  const subject = rule.id === 'audit.inventory-rows-valid' ? `all ${inventory.rowCount} rows` : `all ${inventory.keys.length} keys`;
  const parts: string[] = [];
  if (outcome.verdict === 'skip') parts.push('switched off in the audit policy');
  if (findings.length > 0) parts.push(`${capitalise(summary)} (${findings.length}): ${named(findings)}`);
  if (notVerifiable.length > 0)
    parts.push(`could not judge ${notVerifiable.length} key${notVerifiable.length === 1 ? '' : 's'}: ${reasons(notVerifiable)}`);
  if (parts.length === 0)
    parts.push(rule.id === 'audit.secret-in-inventory' ? 'no secret-like value found in the inventory' : `${subject} pass`);
  const message = parts.join('; ');

  const lines = [
    ...findings.slice(0, FINDINGS_IN_OBSERVED).map((f) => `${where(f.key)}: ${f.detail}${acceptanceTag(f.acceptance)}`),
    ...notVerifiable
      .slice(0, FINDINGS_IN_OBSERVED)
      .map((n) => `${where(n.key)}: not verifiable: ${n.reason}${acceptanceTag(n.acceptance)}`),
  ];
  const listed = Math.min(findings.length, FINDINGS_IN_OBSERVED) + Math.min(notVerifiable.length, FINDINGS_IN_OBSERVED);
  if (findings.length + notVerifiable.length > listed)
    lines.push(`… and ${findings.length + notVerifiable.length - listed} more (every finding is in findings.json)`);
  const observed = lines.length ? lines.join('\n') : undefined;

  const advisories: string[] = [];
  if (rule.id === 'audit.inventory-rows-valid' && inventory.ignoredFields.length)
    advisories.push(`ignored fields the audit does not use: ${inventory.ignoredFields.slice(0, 20).join(', ')}`);
  const items = [...findings, ...notVerifiable];
  const accepted = items.filter((x) => x.acceptance && !x.acceptance.counts);
  if (accepted.length > 0) {
    const waived = accepted.filter((x) => x.acceptance!.waiver).length;
    const persisting = accepted.length - waived;
    const how = [waived ? `${waived} waived` : '', persisting ? `${persisting} persisting from the baseline` : '']
      .filter(Boolean)
      .join(', ');
    advisories.push(
      outcome.gating && !outcome.gatingNow
        ? `not gating: all ${accepted.length} accepted (${how})`
        : `${accepted.length} of ${items.length} accepted (${how}); the rest gate`,
    );
  }
  const expired = items.filter((x) => x.acceptance?.expiredWaiver);
  if (expired.length) advisories.push(`${expired.length} finding${expired.length === 1 ? '' : 's'} whose waiver expired: no longer waived`);
  if (outcome.resolved.length) advisories.push(`${outcome.resolved.length} resolved since the baseline`);

  const statusCounts: Record<string, number> = {};
  if (items.some((x) => x.acceptance?.status)) {
    statusCounts.new = items.filter((x) => x.acceptance?.status === 'new').length;
    statusCounts.persisting = items.filter((x) => x.acceptance?.status === 'persisting').length;
    statusCounts.resolved = outcome.resolved.length;
  }
  if (items.some((x) => x.acceptance)) statusCounts.waived = items.filter((x) => x.acceptance?.waiver).length;
  return {
    id: rule.id,
    title: rule.title,
    description: rule.description,
    severity: outcome.severity,
    gating: outcome.gatingNow,
    destructive: false,
    verdict: outcome.verdict,
    message: secrets.redact(message),
    // One finding per broken rule, in its words; findings.json lists every key it concerns.
    findings:
      outcome.verdict === 'fail' || outcome.verdict === 'error'
        ? [{ title: rule.title, message: secrets.redact(message), severity: outcome.severity }]
        : [],
    expected: rule.expected(params, settings),
    ...(observed !== undefined ? { observed: secrets.redact(observed) } : {}),
    advisories: advisories.map((a) => secrets.redact(a)),
    measurements: {
      rows: inventory.rowCount,
      keys: inventory.keys.length,
      findings: findings.length,
      notVerifiable: notVerifiable.length,
      ...statusCounts,
    },
    evidence: [],
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs * 100) / 100,
  };
}

function where(key: Finding['key']): string {
  return `${keyLabel(key)}, row ${key.row}${key.line !== undefined ? ` (line ${key.line})` : ''}`;
}

function named(items: readonly { key: Finding['key'] }[]): string {
  const list = items.slice(0, KEYS_IN_MESSAGE).map((f) => keyLabel(f.key));
  const more = items.length > KEYS_IN_MESSAGE ? ` and ${items.length - KEYS_IN_MESSAGE} more` : '';
  return `${list.join(', ')}${more}`;
}

/** "no creation date recorded (a, b and 3 more)" per distinct reason. */
function reasons(items: readonly NotVerifiable[]): string {
  const byReason = new Map<string, NotVerifiable[]>();
  for (const n of items) {
    const list = byReason.get(n.reason);
    if (list) list.push(n);
    else byReason.set(n.reason, [n]);
  }
  return [...byReason].map(([reason, list]) => `${reason} (${named(list)})`).join('; ');
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
