// The RunResult: plain, immutable data that every reporter reads and nothing
// else. Reporters never touch the network; everything they show is here.

export const RESULT_SCHEMA_VERSION = 1;

/** pass: verified · fail: the target misbehaved · error: could not verify · skip: not applicable. */
export type Verdict = 'pass' | 'fail' | 'error' | 'skip';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type LaunchVerdict = 'pass' | 'fail' | 'error';

/** One request a check made and what came back, already redacted. */
export interface Exchange {
  /** What this request was for, e.g. "random key" or "denied: POST /v1/agents". */
  readonly label: string;
  readonly method: string;
  /** Path and query as sent, with every secret replaced by its fingerprint. */
  readonly path: string;
  readonly origin: string;
  /** Milliseconds since the check started. */
  readonly atMs: number;
  readonly durationMs: number;
  /** Absent when no response arrived (see `error`). */
  readonly status?: number;
  /** Network-level failure in words a user understands. */
  readonly error?: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** A capped, redacted excerpt of the response body. */
  readonly bodyExcerpt: string;
  readonly bodyTruncated: boolean;
  /** A curl line that reproduces the request: the key as ${KEY}, other secrets as shell variables (see docs/reports.md). */
  readonly curl: string;
  /** This exchange is what the check failed on (e.g. a denied resource that was served); reports open it. */
  readonly failing?: boolean;
}

/** One probe on a timeline chart. */
export interface ProbePoint {
  /** Milliseconds since the timeline's origin (the disable, or the burst's start). */
  readonly tMs: number;
  readonly status?: number;
  readonly accepted: boolean;
}

export interface RevocationTimeline {
  readonly kind: 'revocation';
  /** How the key was turned off at 0 ms; absent means a disable. 'delete' on platforms without a disable. */
  readonly offSwitch?: 'disable' | 'delete';
  readonly budgetMs: number;
  readonly stabilityWindowMs: number;
  readonly firstRejectionMs?: number;
  readonly points: readonly ProbePoint[];
}

export interface BurstTimeline {
  readonly kind: 'burst';
  readonly expectedLimit: number;
  readonly windowSeconds: number;
  /** 1-based, in the order the limiter counted the calls: one after those it accepted first. */
  readonly firstThrottledAtCall?: number;
  /** One per request, in the order the answers arrived. */
  readonly points: readonly ProbePoint[];
}

export type Timeline = RevocationTimeline | BurstTimeline;

export type Measurement = number | string | boolean;

/** One thing a lifecycle adapter did (disable, rotate, create, delete…), redacted. */
/** One try of a lifecycle action (an action is retried when that is safe, see src/lifecycle/retry.ts). */
export interface LifecycleAttempt {
  /** The HTTP status the management API answered. */
  readonly status?: number;
  /** A command's exit code. */
  readonly exitCode?: number;
  /** Why there was no answer (network failure, timeout, a killed command), redacted. */
  readonly error?: string;
  /** How long keyprobe waited after this try before the next (Retry-After, else backoff). */
  readonly waitMs?: number;
}

export interface LifecycleActionRecord {
  readonly action: 'create' | 'disable' | 'enable' | 'rotate' | 'delete';
  /** The adapter's kind (src/lifecycle/adapters.ts lists them); a plain string in the contract, so a report reads records of any kind. */
  readonly adapter: string;
  /** Which key, by name (never its secret). */
  readonly key: string;
  readonly outcome: 'done' | 'skipped' | 'failed';
  /** e.g. "POST /admin/keys/key_ab12/disable → 200", "`./disable.sh` exited 0", "operator pressed Enter: …". */
  readonly detail: string;
  readonly durationMs?: number;
  /**
   * Of a create or rotate answer only its field names (never a value: it holds a new secret);
   * of other answers a redacted, capped excerpt; of a command's output, only when it failed,
   * redacted with credentials scrubbed.
   */
  readonly output?: string;
  /** Run detached from the run's abort signal: cleanup (restore, delete), or a create that must not be cut off half-way. */
  readonly detached?: boolean;
  /** Every try, in order (http and command adapters). */
  readonly attempts?: readonly LifecycleAttempt[];
}

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly gating: boolean;
  /** The suite requires this check to run: a skip or an error leaves the launch unverified. */
  readonly required?: boolean;
  readonly destructive: boolean;
  /** Which key a destructive check acted on, e.g. `declared canary "crm-prod-agent-call-canary"`. */
  readonly actedOn?: string;
  readonly verdict: Verdict;
  /** `declared`: the verdict rests on what the profile declares, not on anything the target was seen to do. */
  readonly basis?: 'declared';
  /** One sentence: what was expected and what was seen (or why skipped/error). */
  readonly message: string;
  readonly expected?: string;
  readonly observed?: string;
  /** Findings that do not change the verdict (e.g. missing WWW-Authenticate). */
  readonly advisories: readonly string[];
  readonly measurements: Readonly<Record<string, Measurement>>;
  readonly evidence: readonly Exchange[];
  /** What the lifecycle adapter did for this check, cleanup included. */
  readonly lifecycleActions?: readonly LifecycleActionRecord[];
  readonly timeline?: Timeline;
  readonly startedAt: string;
  readonly durationMs: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** sha256 of the profile file as read, hex. */
  readonly digest: string;
  readonly keyName: string;
  readonly system: string;
  readonly environment: string;
  readonly purpose: string;
  readonly owner?: string;
  readonly expires?: string;
  /** `sha256:` + 8 hex; never the key itself. */
  readonly keyFingerprint: string;
  readonly targetOrigin: string;
  readonly targetEnvironment: string;
}

/** The preflight of one profile: can the target be reached at all, and is the key accepted? */
export interface Preflight {
  /** False when no HTTP answer came back: no check was run. */
  readonly reachable: boolean;
  /** Whether the key was accepted on an allowed resource; absent when that was not asked or not judged (throttled). */
  readonly keyAccepted?: boolean;
  /** In words, e.g. "connection refused by 127.0.0.1:1234: …". */
  readonly message: string;
  readonly evidence: readonly Exchange[];
}

export interface ProfileRun {
  readonly profile: ProfileSummary;
  readonly preflight?: Preflight;
  readonly checks: readonly CheckResult[];
  readonly requestsSent: number;
  readonly requestBudget: number;
  /** Notes from the runner about ordering, waits, cleanup. */
  readonly notes: readonly string[];
}

/**
 * What a baseline and waivers did to a run (`keyprobe run --baseline --waivers --fail-on`):
 * accepted check results keep their verdict but stop gating, and say why.
 */
export interface RunAcceptance {
  readonly failOn: 'new' | 'any';
  readonly baseline?: { readonly file: string; readonly runId: string; readonly asOf?: string };
  readonly waivers?: {
    readonly file: string;
    readonly inForce: number;
    /** Expired waivers (they no longer waive), as "target for key (file:line) expired …". */
    readonly expired: readonly string[];
    /** Waivers that matched nothing in this run. */
    readonly unused: readonly string[];
  };
  /** Check results that did not gate, and why. */
  readonly accepted: readonly { readonly key: string; readonly check: string; readonly verdict: string; readonly why: string }[];
  /** Failures and errors the baseline did not have. */
  readonly new: readonly { readonly key: string; readonly check: string; readonly verdict: string }[];
  /** Failures and errors of the baseline this run no longer has. */
  readonly resolved: readonly { readonly key: string; readonly check: string; readonly was: string }[];
}

/** One thing keyprobe put back after a check (re-enable a key, delete a canary), and whether it was verified. */
export interface CleanupRecord {
  /** The profile's key name. */
  readonly profile: string;
  readonly check: string;
  /** The key acted on, by name (never its secret). */
  readonly key: string;
  readonly keyId?: string;
  /** `own key`, `declared canary`, `created canary`. */
  readonly subject: string;
  readonly action: 'enable' | 'delete';
  /** verified: done and seen to hold · unverified: done, but the key does not behave as restored · failed: not done. */
  readonly outcome: 'verified' | 'unverified' | 'failed';
  /** What happened, in words (redacted). */
  readonly detail: string;
  /** The state the key was left in, when it is not verified restored: `disabled`, `exists (not deleted)`… */
  readonly leftState?: string;
  /** The exact action that restores it by hand, with secrets as placeholders (`$ADMIN_TOKEN`). */
  readonly restore?: string;
}

export interface CleanupSection {
  /** True when every cleanup was done and verified (or there was nothing to clean up). */
  readonly complete: boolean;
  readonly records: readonly CleanupRecord[];
}

export interface RunResult {
  readonly schemaVersion: typeof RESULT_SCHEMA_VERSION;
  readonly runId: string;
  readonly tool: { readonly name: string; readonly version: string };
  readonly operator: string;
  readonly suite: { readonly name: string; readonly file: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** True when the run was interrupted before every check finished. */
  readonly incomplete: boolean;
  readonly profiles: readonly ProfileRun[];
  /** Everything keyprobe put back, verified; a cleanup that is not complete leaves the launch unverified. */
  readonly cleanup?: CleanupSection;
  /** Required checks of the suite the operator left out with --only/--skip: not part of this verdict, and said so. */
  readonly requiredLeftOut?: readonly string[];
  readonly verdict: LaunchVerdict;
  readonly exitCode: number;
  /** Present when the run had a baseline or waivers. */
  readonly acceptance?: RunAcceptance;
}

/** How a check that preflight stopped begins its message. */
export const NOT_RUN_UNREACHABLE = 'not run: target unreachable';

/** Every check result of a run, flattened. */
export function allChecks(run: RunResult): CheckResult[] {
  return run.profiles.flatMap((p) => p.checks);
}

/** Cleanups that were not done, or not seen to hold: each left the target changed. */
export function unfinishedCleanups(run: Pick<RunResult, 'cleanup'>): CleanupRecord[] {
  return (run.cleanup?.records ?? []).filter((r) => r.outcome !== 'verified');
}
