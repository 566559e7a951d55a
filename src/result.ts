// The RunResult: plain, immutable data that every reporter reads and nothing
// else. Reporters never touch the network; everything they show is here.
//
// This zod schema is the one description of the contract: the TypeScript
// types below are its output types, `keyprobe report` and `keyprobe merge`
// read results.json through it (reporters/results-file.ts), and
// schemas/results.schema.json is generated from it (`npm run schemas`).
// A field's documentation is its `.describe()`, so the published schema
// carries it too.
import { z } from 'zod';

/**
 * 2: check results carry `description`, `practice` and structured `findings`;
 * the run says what it examined (`subject`: keys, or an audit's inventory).
 * 3: a cleanup record's outcome may be `sent` (done, but no probe can verify
 * it), where 2 said `verified`; a reader of 2 would not know the value.
 * A file of another version is refused with the version named (exit 2): render
 * it with the keyprobe that wrote it.
 */
export const RESULT_SCHEMA_VERSION = 3;

const verdictSchema = z
  .enum(['pass', 'fail', 'error', 'skip'])
  .describe('pass: verified · fail: the target misbehaved · error: could not verify · skip: not applicable');
const severitySchema = z.enum(['critical', 'high', 'medium', 'low', 'info']);
const launchVerdictSchema = z.enum(['pass', 'fail', 'error']);
const headersSchema = z.record(z.string(), z.string()).readonly();

const exchangeSchema = z
  .object({
    label: z.string().describe('What this request was for, e.g. "random key" or "denied: POST /v1/agents".'),
    method: z.string(),
    path: z.string().describe('Path and query as sent, with every secret replaced by its fingerprint.'),
    origin: z.string(),
    atMs: z.number().describe('Milliseconds since the check started.'),
    durationMs: z.number(),
    status: z.number().optional().describe('Absent when no response arrived (see `error`).'),
    error: z.string().optional().describe('Network-level failure in words a user understands.'),
    requestHeaders: headersSchema,
    responseHeaders: headersSchema,
    bodyExcerpt: z.string().describe('A capped, redacted excerpt of the response body.'),
    bodyTruncated: z.boolean(),
    curl: z
      .string()
      .describe('A curl line that reproduces the request: the key as ${KEY}, other secrets as shell variables (see docs/reports.md).'),
    failing: z
      .boolean()
      .optional()
      .describe('This exchange is what the check failed on (e.g. a denied resource that was served); reports open it.'),
  })
  .readonly()
  .describe('One request a check made and what came back, already redacted.');

const probePointSchema = z
  .object({
    tMs: z.number().describe("Milliseconds since the timeline's origin (the disable, or the burst's start)."),
    status: z.number().optional(),
    accepted: z.boolean(),
  })
  .readonly()
  .describe('One probe on a timeline chart.');

const revocationTimelineSchema = z
  .object({
    kind: z.literal('revocation'),
    offSwitch: z
      .enum(['disable', 'delete'])
      .optional()
      .describe("How the key was turned off at 0 ms; absent means a disable. 'delete' on platforms without a disable."),
    budgetMs: z.number(),
    stabilityWindowMs: z.number(),
    firstRejectionMs: z.number().optional(),
    points: z.array(probePointSchema).readonly(),
  })
  .readonly();

const burstTimelineSchema = z
  .object({
    kind: z.literal('burst'),
    expectedLimit: z.number(),
    windowSeconds: z.number(),
    firstThrottledAtCall: z
      .number()
      .optional()
      .describe('1-based, in the order the limiter counted the calls: one after those it accepted first.'),
    points: z.array(probePointSchema).readonly().describe('One per request, in the order the answers arrived.'),
  })
  .readonly();

const timelineSchema = z.discriminatedUnion('kind', [revocationTimelineSchema, burstTimelineSchema]);

const measurementSchema = z.union([z.number(), z.string(), z.boolean()]);

const lifecycleAttemptSchema = z
  .object({
    status: z.number().optional().describe('The HTTP status the management API answered.'),
    exitCode: z.number().optional().describe("A command's exit code."),
    error: z.string().optional().describe('Why there was no answer (network failure, timeout, a killed command), redacted.'),
    waitMs: z.number().optional().describe('How long keyprobe waited after this try before the next (Retry-After, else backoff).'),
  })
  .readonly()
  .describe('One try of a lifecycle action (an action is retried when that is safe, see src/lifecycle/retry.ts).');

const lifecycleActionSchema = z
  .object({
    action: z.enum(['create', 'disable', 'enable', 'rotate', 'delete']),
    adapter: z
      .string()
      .describe("The adapter's kind (src/lifecycle/adapters.ts lists them); a plain string, so a report reads records of any kind."),
    key: z.string().describe('Which key, by name (never its secret).'),
    outcome: z.enum(['done', 'skipped', 'failed']),
    detail: z.string().describe('e.g. "POST /admin/keys/key_ab12/disable → 200", "`./disable.sh` exited 0", "operator pressed Enter: …".'),
    durationMs: z.number().optional(),
    output: z
      .string()
      .optional()
      .describe(
        "Of a create or rotate answer only its field names (never a value: it holds a new secret); of other answers a redacted, capped excerpt; of a command's output, only when it failed, redacted with credentials scrubbed.",
      ),
    detached: z
      .boolean()
      .optional()
      .describe("Run detached from the run's abort signal: cleanup (restore, delete), or a create that must not be cut off half-way."),
    attempts: z.array(lifecycleAttemptSchema).readonly().optional().describe('Every try, in order (http and command adapters).'),
  })
  .readonly()
  .describe('One thing a lifecycle adapter did (disable, rotate, create, delete…), redacted.');

/** The key practices a security reviewer signs off on; each check gives evidence for one. */
const PRACTICE_NAMES = ['Naming', 'Per-environment keys', 'Least privilege', 'Reverse validation', 'Rotation and reclamation'] as const;
const practiceSchema = z.enum(PRACTICE_NAMES);

const locationSchema = z
  .object({
    file: z.string().describe('The profile file.'),
    line: z.number().int().optional().describe('1-based; absent when the field is not in the file (a default).'),
    column: z.number().int().optional(),
    path: z
      .array(z.union([z.string(), z.number()]))
      .readonly()
      .describe('The field in the profile, e.g. ["allowed", 0].'),
  })
  .readonly()
  .describe('Where in the profile a finding points: shown as file:line in every report.');

const findingSchema = z
  .object({
    title: z.string(),
    message: z.string().describe('What was found, in a sentence (redacted).'),
    severity: severitySchema,
    exchange: z
      .number()
      .int()
      .optional()
      .describe("Index into the check's `evidence` of the exchange that proved it; absent when no request did."),
    location: locationSchema.optional(),
  })
  .readonly()
  .describe('One thing a check found, with the request that proved it and the profile field it concerns.');

const checkResultSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string().describe('What the check verifies and how.'),
    practice: practiceSchema.optional().describe('The key practice this check gives evidence for; absent for audit rules.'),
    severity: severitySchema,
    gating: z.boolean(),
    required: z.boolean().optional().describe('The suite requires this check to run: a skip or an error leaves the launch unverified.'),
    destructive: z.boolean(),
    actedOn: z.string().optional().describe('Which key a destructive check acted on, e.g. `declared canary "crm-prod-agent-call-canary"`.'),
    verdict: verdictSchema,
    basis: z
      .literal('declared')
      .optional()
      .describe('`declared`: the verdict rests on what the profile declares, not on anything the target was seen to do.'),
    message: z.string().describe('One sentence: what was expected and what was seen (or why skipped/error).'),
    findings: z
      .array(findingSchema)
      .readonly()
      .describe('What the check found (a failing or erroring check has at least one); empty when it passed or skipped.'),
    expected: z.string().optional(),
    observed: z.string().optional(),
    advisories: z.array(z.string()).readonly().describe('Findings that do not change the verdict (e.g. missing WWW-Authenticate).'),
    measurements: z.record(z.string(), measurementSchema).readonly(),
    evidence: z.array(exchangeSchema).readonly(),
    lifecycleActions: z
      .array(lifecycleActionSchema)
      .readonly()
      .optional()
      .describe('What the lifecycle adapter did for this check, cleanup included.'),
    timeline: timelineSchema.optional(),
    startedAt: z.string(),
    durationMs: z.number(),
  })
  .readonly();

const profileSummarySchema = z
  .object({
    file: z.string(),
    digest: z.string().describe('sha256 of the profile file as read, hex.'),
    keyName: z.string(),
    system: z.string(),
    environment: z.string(),
    purpose: z.string(),
    owner: z.string().optional(),
    expires: z.string().optional(),
    keyFingerprint: z.string().describe('`sha256:` + 8 hex; never the key itself.'),
    targetOrigin: z.string(),
    targetEnvironment: z.string(),
  })
  .readonly();

const preflightSchema = z
  .object({
    reachable: z
      .boolean()
      .describe('False when no HTTP answer came back, or one keyprobe could not parse as HTTP (malformed): no check was run.'),
    malformed: z
      .literal(true)
      .optional()
      .describe(
        'Present when the target answered, but not with HTTP keyprobe could parse (a bad chunk size, not HTTP at all): reached, yet not testable.',
      ),
    keyAccepted: z
      .boolean()
      .optional()
      .describe('Whether the key was accepted on an allowed resource; absent when that was not asked or not judged (throttled).'),
    message: z.string().describe('In words, e.g. "connection refused by 127.0.0.1:1234: …".'),
    evidence: z.array(exchangeSchema).readonly(),
  })
  .readonly()
  .describe('The preflight of one profile: can the target be reached at all, and is the key accepted?');

const profileRunSchema = z
  .object({
    profile: profileSummarySchema,
    preflight: preflightSchema.optional(),
    checks: z.array(checkResultSchema).readonly(),
    requestsSent: z.number(),
    requestBudget: z.number(),
    notes: z.array(z.string()).readonly().describe('Notes from the runner about ordering, waits, cleanup.'),
  })
  .readonly();

const keyCheckSchema = z.object({ key: z.string(), check: z.string(), verdict: z.string() }).readonly();

const runAcceptanceSchema = z
  .object({
    failOn: z.enum(['new', 'any']),
    baseline: z.object({ file: z.string(), runId: z.string(), asOf: z.string().optional() }).readonly().optional(),
    waivers: z
      .object({
        file: z.string(),
        inForce: z.number(),
        expired: z
          .array(z.string())
          .readonly()
          .describe('Expired waivers (they no longer waive), as "target for key (file:line) expired …".'),
        unused: z.array(z.string()).readonly().describe('Waivers that matched nothing in this run.'),
      })
      .readonly()
      .optional(),
    accepted: z
      .array(z.object({ key: z.string(), check: z.string(), verdict: z.string(), why: z.string() }).readonly())
      .readonly()
      .describe('Check results that did not gate, and why.'),
    new: z.array(keyCheckSchema).readonly().describe('Failures and errors the baseline did not have.'),
    resolved: z
      .array(z.object({ key: z.string(), check: z.string(), was: z.string() }).readonly())
      .readonly()
      .describe('Failures and errors of the baseline this run no longer has.'),
  })
  .readonly()
  .describe(
    'What a baseline and waivers did to a run (`keyprobe run --baseline --waivers --fail-on`): accepted check results keep their verdict but stop gating, and say why.',
  );

const cleanupRecordSchema = z
  .object({
    profile: z.string().describe("The profile's key name."),
    check: z.string(),
    key: z.string().describe('The key acted on, by name (never its secret).'),
    keyId: z.string().optional(),
    subject: z.string().describe('`own key`, `declared canary`, `created canary`.'),
    action: z.enum(['enable', 'delete']),
    outcome: z
      .enum(['verified', 'sent', 'unverified', 'failed'])
      .describe(
        'verified: done and seen to hold · sent: done (the platform acknowledged it), but probing cannot verify it — a canary that is refused anyway (disabled or expiring), or one whose secret keyprobe never learnt · unverified: done, but the key does not behave as restored · failed: not done.',
      ),
    detail: z.string().describe('What happened, in words (redacted).'),
    leftState: z
      .string()
      .optional()
      .describe('The state the key was left in, when it is not verified restored: `disabled`, `exists (not deleted)`…'),
    restore: z.string().optional().describe('The exact action that restores it by hand, with secrets as placeholders (`$ADMIN_TOKEN`).'),
  })
  .readonly()
  .describe('One thing keyprobe put back after a check (re-enable a key, delete a canary), and whether it was verified.');

const cleanupSectionSchema = z
  .object({
    complete: z
      .boolean()
      .describe(
        'True when every cleanup was done and verified, or sent where probing cannot verify it (or there was nothing to clean up): no record is `unverified` or `failed`.',
      ),
    records: z.array(cleanupRecordSchema).readonly(),
  })
  .readonly();

const subjectSchema = z
  .discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('keys') })
      .readonly()
      .describe('A launch run (or a merge of runs): each entry of `profiles` is one key against its target.'),
    z
      .object({
        kind: z.literal('inventory'),
        source: z.string().describe('The inventory file, or the management API it was read from.'),
        format: z.string().describe('csv, json, yaml or api.'),
        rows: z.number().int(),
        keys: z.number().int(),
        asOf: z.string().describe('The moment the audit judged the inventory at (--as-of).'),
      })
      .readonly()
      .describe(
        'An audit of a key inventory (`keyprobe audit`): `profiles` holds one entry standing for the whole inventory, so JUnit and CI see one suite; it is not a key. findings.json beside results.json lists every key.',
      ),
  ])
  .describe('What was examined: keys (a run) or a key inventory (an audit).');

export const runResultSchema = z
  .object({
    schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
    runId: z.string(),
    tool: z.object({ name: z.string(), version: z.string() }).readonly(),
    operator: z.string(),
    subject: subjectSchema,
    suite: z.object({ name: z.string(), file: z.string() }).readonly(),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number(),
    incomplete: z.boolean().describe('True when the run was interrupted before every check finished.'),
    profiles: z.array(profileRunSchema).readonly(),
    cleanup: cleanupSectionSchema
      .optional()
      .describe('Everything keyprobe put back, verified; a cleanup that is not complete leaves the launch unverified.'),
    requiredLeftOut: z
      .array(z.string())
      .readonly()
      .optional()
      .describe('Required checks of the suite the operator left out with --only/--skip: not part of this verdict, and said so.'),
    verdict: launchVerdictSchema,
    exitCode: z.number().int(),
    acceptance: runAcceptanceSchema.optional().describe('Present when the run had a baseline or waivers.'),
  })
  .readonly()
  .describe('What one keyprobe run (or merge, or audit) found: results.json.');

export type Verdict = z.output<typeof verdictSchema>;
export type Severity = z.output<typeof severitySchema>;
export type LaunchVerdict = z.output<typeof launchVerdictSchema>;
export type Exchange = z.output<typeof exchangeSchema>;
export type ProbePoint = z.output<typeof probePointSchema>;
export type RevocationTimeline = z.output<typeof revocationTimelineSchema>;
export type BurstTimeline = z.output<typeof burstTimelineSchema>;
export type Timeline = z.output<typeof timelineSchema>;
export type Measurement = z.output<typeof measurementSchema>;
export type LifecycleAttempt = z.output<typeof lifecycleAttemptSchema>;
export type LifecycleActionRecord = z.output<typeof lifecycleActionSchema>;
export type PracticeName = z.output<typeof practiceSchema>;
export type FindingLocation = z.output<typeof locationSchema>;
export type Finding = z.output<typeof findingSchema>;
export type CheckResult = z.output<typeof checkResultSchema>;
export type ProfileSummary = z.output<typeof profileSummarySchema>;
export type Preflight = z.output<typeof preflightSchema>;
export type ProfileRun = z.output<typeof profileRunSchema>;
export type RunAcceptance = z.output<typeof runAcceptanceSchema>;
export type CleanupRecord = z.output<typeof cleanupRecordSchema>;
/** results.json as written and read back: the run with its profiles as one array. */
type RunResultData = z.output<typeof runResultSchema>;

/**
 * The profiles of a run, in profile order, that can be read again as often as
 * a reporter needs: an array (a run held in memory, a results.json read back
 * for `report` or `merge`) or the run's spool on disk (src/runner/spool.ts),
 * which reads each profile back only when asked, so a thousand profiles are
 * never in memory at once (issue #15). An array is one as it stands.
 */
export interface ProfileSource extends Iterable<ProfileRun> {
  readonly length: number;
  at(index: number): ProfileRun | undefined;
}

/**
 * What one run found: the header (who, when, the verdict and exit code, the
 * cleanups) and its profiles. By default the profiles are an array, as
 * results.json has them; reporters read any ProfileSource
 * (`RunResult<ProfileSource>`), one profile at a time.
 */
export type RunResult<Profiles extends ProfileSource = readonly ProfileRun[]> = Omit<RunResultData, 'profiles'> & {
  readonly profiles: Profiles;
};

/** An audit's result: its one "profile" is the inventory, not a key. */
export function isInventoryResult(result: Pick<RunResult, 'subject'>): boolean {
  return result.subject.kind === 'inventory';
}

/** How a check that preflight stopped begins its message: no answer at all. */
export const NOT_RUN_UNREACHABLE = 'not run: target unreachable';
/** …or an answer that is not HTTP keyprobe can parse. */
export const NOT_RUN_MALFORMED = 'not run: target answered with malformed HTTP';

/** The words every check of a profile stopped by its preflight begins with. */
export function notRunBecause(preflight: Pick<Preflight, 'malformed'>): string {
  return preflight.malformed ? NOT_RUN_MALFORMED : NOT_RUN_UNREACHABLE;
}

/** The profiles of `source` as `change` gives them, read (and changed) again each time they are asked for. */
export function mapProfiles(source: ProfileSource, change: (run: ProfileRun, index: number) => ProfileRun): ProfileSource {
  return {
    length: source.length,
    at: (index) => {
      const run = source.at(index);
      return run && change(run, index < 0 ? index + source.length : index);
    },
    *[Symbol.iterator]() {
      let index = 0;
      for (const run of source) yield change(run, index++);
    },
  };
}

/** Every check result of a run, flattened. */
export function allChecks(run: RunResult): CheckResult[] {
  return run.profiles.flatMap((p) => p.checks);
}

/** A cleanup not done, or not seen to hold: it left the target changed, and the launch is not verified. */
export function leftTargetChanged(r: Pick<CleanupRecord, 'outcome'>): boolean {
  return r.outcome === 'failed' || r.outcome === 'unverified';
}

/** Cleanups that were not done, or not seen to hold: each left the target changed. */
export function unfinishedCleanups(run: Pick<RunResult, 'cleanup'>): CleanupRecord[] {
  return (run.cleanup?.records ?? []).filter(leftTargetChanged);
}

/**
 * Cleanups sent and acknowledged that no probe can verify (a canary refused
 * anyway, or one whose secret keyprobe never learnt). They do not gate — the
 * platform said it was done — but every report shows them, so nobody reads
 * them as verified.
 */
export function sentCleanups(run: Pick<RunResult, 'cleanup'>): CleanupRecord[] {
  return (run.cleanup?.records ?? []).filter((r) => r.outcome === 'sent');
}
