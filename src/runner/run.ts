// The runner: plans the suite for each profile, runs its checks, and turns
// everything into one immutable RunResult. A check that throws gets `error`;
// an interrupted run still returns a result, marked incomplete.
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pLimit from 'p-limit';
import type { CheckContext, CheckOutcome } from '../checks/check.js';
import type { LoadedProfile } from '../config/load-profile.js';
import type { LoadedSuite, PlannedCheck } from '../config/suite.js';
import { CheckError, InterruptedError } from '../errors.js';
import { createDispatcher, HttpClient, RequestBudget } from '../http/client.js';
import { CleanupRegistry } from '../lifecycle/cleanup.js';
import { createLifecycleAdapter, type Terminal } from '../lifecycle/index.js';
import {
  RESULT_SCHEMA_VERSION,
  type CheckResult,
  type LifecycleActionRecord,
  type ProfileRun,
  type ProfileSummary,
  type RunResult,
} from '../result.js';
import { fingerprint, SecretRegistry } from '../secrets.js';
import { TOOL } from '../version.js';
import { safeObserver, type RunObserver } from './observer.js';
import { launchVerdict } from './verdict.js';

export interface RunOptions {
  readonly profiles: readonly LoadedProfile[];
  readonly suite: LoadedSuite;
  /** Run only these check ids. */
  readonly only?: readonly string[];
  /** Leave out these check ids. */
  readonly skip?: readonly string[];
  /** Profiles run in parallel (default 4). */
  readonly concurrency?: number;
  /** Overrides every profile's request budget. */
  readonly budget?: number;
  readonly interactive?: boolean;
  readonly operator?: string;
  readonly signal?: AbortSignal;
  readonly observer?: RunObserver;
  /** PEM text of a CA to trust for the target (from --ca). */
  readonly ca?: string;
  readonly runId?: string;
  /** Shared across the run so the CLI can scan its outputs for every secret. */
  readonly secrets?: SecretRegistry;
  /** Where manual lifecycle steps ask a person (with --interactive). */
  readonly terminal?: Terminal;
  /** Environment for lifecycle commands; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Request-phase checks of one profile that run at once. Kept low so they do not trip the target's rate limit. */
const REQUEST_PHASE_CONCURRENCY = 2;

export async function runSuite(options: RunOptions): Promise<RunResult> {
  const startedAt = new Date();
  const runId = options.runId ?? newRunId(startedAt);
  const observer = safeObserver(options.observer);
  const secrets = options.secrets ?? new SecretRegistry();
  const signal = options.signal ?? new AbortController().signal;
  const plan = selectChecks(options.suite.checks, options.only, options.skip);

  const summaries = options.profiles.map((p) => {
    for (const s of p.secrets) secrets.add(s, s === p.profile.key.secret ? 'key' : 'secret');
    return summarize(p);
  });
  observer.runStarted({ runId, profiles: summaries, checksPerProfile: plan.length });

  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const profileRuns = await Promise.all(
    options.profiles.map((loaded, i) => limit(() => runProfile(loaded, summaries[i]!, plan, { ...options, secrets, signal, observer }))),
  );

  const finishedAt = new Date();
  const incomplete = signal.aborted;
  const { verdict, exitCode } = launchVerdict(
    profileRuns.flatMap((p) => p.checks),
    incomplete,
  );
  const result: RunResult = deepFreeze({
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    tool: { ...TOOL },
    operator: options.operator ?? currentUser(),
    suite: { name: options.suite.name, file: options.suite.file },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    incomplete,
    profiles: profileRuns,
    verdict,
    exitCode,
  });
  observer.runFinished(result);
  return result;
}

interface ProfileRunContext extends RunOptions {
  readonly secrets: SecretRegistry;
  readonly signal: AbortSignal;
  readonly observer: Required<RunObserver>;
}

async function runProfile(
  loaded: LoadedProfile,
  summary: ProfileSummary,
  plan: readonly PlannedCheck[],
  ctx: ProfileRunContext,
): Promise<ProfileRun> {
  const { profile } = loaded;
  const budget = new RequestBudget(ctx.budget ?? profile.target.budget);
  // --ca wins over the profile's target.ca (already read by the loader).
  const dispatcher = createDispatcher({ ca: ctx.ca ?? loaded.ca });
  const baseClient = new HttpClient({
    origin: profile.target.origin,
    auth: profile.target.auth,
    primaryKey: profile.key.secret,
    timeoutMs: profile.target.timeoutMs,
    budget,
    secrets: ctx.secrets,
    dispatcher,
    signal: ctx.signal,
    // The burst's own connection pool trusts the same CA.
    ca: ctx.ca ?? loaded.ca,
  });
  const notes: string[] = [];
  const results = new Map<PlannedCheck, CheckResult>();
  const runOne = async (planned: PlannedCheck) => {
    results.set(planned, await runCheck(planned, loaded, summary, baseClient, ctx, notes));
  };

  try {
    // Request checks first (they leave the key as they found it), then the
    // ones that change key state or spend the rate window, one at a time.
    const requestLimit = pLimit(REQUEST_PHASE_CONCURRENCY);
    await Promise.all(plan.filter((p) => p.check.phase === 'request').map((p) => requestLimit(() => runOne(p))));
    // A burst spends the key's rate window: before each rate check, and before
    // anything that follows one, wait out a whole window, so every burst
    // starts fresh and no check is throttled by another's burst.
    const windowMs = profile.rateLimit ? profile.rateLimit.windowSeconds * 1000 + RATE_WINDOW_MARGIN_MS : 0;
    let waits = 0;
    let previousWasRate = false;
    for (const phase of ['lifecycle', 'rate'] as const) {
      for (const p of plan.filter((c) => c.check.phase === phase)) {
        const bursts = phase === 'rate' && !p.check.skipReason?.(profile);
        if (windowMs > 0 && (bursts || previousWasRate) && !ctx.signal.aborted) {
          await sleep(windowMs, ctx.signal);
          waits++;
        }
        await runOne(p);
        previousWasRate = bursts;
      }
    }
    // And once more after the last burst, so the key leaves the run unthrottled (a run right after this one, or the key's real traffic, starts clean).
    const waitedAfter = windowMs > 0 && previousWasRate && !ctx.signal.aborted;
    if (waitedAfter) await sleep(windowMs, ctx.signal);
    if (plan.some((p) => p.check.phase === 'rate')) {
      notes.push(
        `Rate-limit checks ran last, one at a time, so their bursts could not throttle any other check${waits > 0 ? `; keyprobe waited a full rate-limit window (${windowMs} ms) before each burst, ${waits} time${waits === 1 ? '' : 's'}, so every burst began on a fresh window${waitedAfter ? ', and once more after the last one, so the key was left unthrottled' : ''}` : ''}.`,
      );
    }
  } finally {
    await dispatcher.close().catch(() => undefined);
  }

  return {
    profile: summary,
    checks: plan.map((p) => results.get(p)!),
    requestsSent: budget.spent,
    requestBudget: budget.limit,
    notes,
  };
}

async function runCheck(
  planned: PlannedCheck,
  loaded: LoadedProfile,
  summary: ProfileSummary,
  baseClient: HttpClient,
  ctx: ProfileRunContext,
  notes: string[],
): Promise<CheckResult> {
  const { check, gating, params } = planned;
  const startedAt = new Date();
  const t0 = performance.now();
  const http = baseClient.fork();
  const actions: LifecycleActionRecord[] = [];
  const finish = (outcome: CheckOutcome): CheckResult => {
    const { exchanges, omitted } = http.evidence();
    const redact = (s: string) => ctx.secrets.redact(s);
    const advisories = (outcome.advisories ?? []).map(redact);
    if (omitted > 0) advisories.push(`${omitted} further exchanges are not kept as evidence`);
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      severity: check.severity,
      gating,
      destructive: check.destructive,
      verdict: outcome.verdict,
      message: redact(outcome.message),
      ...(outcome.expected !== undefined ? { expected: redact(outcome.expected) } : {}),
      ...(outcome.observed !== undefined ? { observed: redact(outcome.observed) } : {}),
      advisories,
      measurements: Object.fromEntries(
        Object.entries(outcome.measurements ?? {}).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]),
      ),
      evidence: exchanges,
      ...(actions.length > 0
        ? { lifecycleActions: actions.map((a) => ({ ...a, detail: redact(a.detail), ...(a.output ? { output: redact(a.output) } : {}) })) }
        : {}),
      ...(outcome.timeline ? { timeline: outcome.timeline } : {}),
      startedAt: startedAt.toISOString(),
      durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
    };
    ctx.observer.checkFinished(summary, result);
    return result;
  };

  if (ctx.signal.aborted) return finish({ verdict: 'error', message: 'not run: the run was interrupted' });
  const skipReason = check.skipReason?.(loaded.profile);
  if (skipReason) return finish({ verdict: 'skip', message: skipReason });

  ctx.observer.checkStarted(summary, { id: check.id, title: check.title });
  const cleanup = new CleanupRegistry();
  const interactive = ctx.interactive ?? false;
  const lifecycle = createLifecycleAdapter({
    profile: loaded.profile,
    http,
    secrets: ctx.secrets,
    signal: ctx.signal,
    interactive,
    ...(ctx.terminal ? { terminal: ctx.terminal } : {}),
    env: ctx.env ?? process.env,
    records: actions,
  });
  const context: CheckContext = {
    profile: loaded.profile,
    http,
    secrets: ctx.secrets,
    signal: ctx.signal,
    interactive,
    ...(lifecycle ? { lifecycle } : {}),
    cleanup,
    progress: (text) => ctx.observer.checkProgress(summary, check.id, ctx.secrets.redact(text)),
  };
  let outcome: CheckOutcome;
  try {
    outcome = await check.run(context, params as never);
  } catch (err) {
    if (err instanceof InterruptedError || ctx.signal.aborted)
      outcome = { verdict: 'error', message: 'interrupted before the check could finish' };
    else if (err instanceof CheckError) outcome = { verdict: 'error', message: `could not verify: ${err.message}` };
    // A bug in a check is still only that check's error, never the run's crash.
    else outcome = { verdict: 'error', message: `the check itself failed: ${(err as Error)?.message ?? String(err)}` };
  }
  // Undo what the check did (canaries, disabled keys) whatever happened above, Ctrl-C included.
  if (cleanup.size > 0) {
    const report = await cleanup.drain();
    const redact = (s: string) => ctx.secrets.redact(s);
    for (const done of report.done) notes.push(`${check.id}: cleanup: ${redact(done)}`);
    for (const failed of report.failed) notes.push(`${check.id}: CLEANUP FAILED: ${redact(failed)}`);
    if (report.failed.length > 0)
      outcome = { ...outcome, advisories: [...(outcome.advisories ?? []), ...report.failed.map((f) => `cleanup failed: ${f}`)] };
  }
  return finish(outcome);
}

/** Extra wait after a rate-limit window, for clock granularity on both ends. */
const RATE_WINDOW_MARGIN_MS = 100;

/** Resolves after `ms`, or at once when the run is interrupted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function selectChecks(checks: readonly PlannedCheck[], only?: readonly string[], skip?: readonly string[]): PlannedCheck[] {
  return checks.filter((p) => (!only?.length || only.includes(p.check.id)) && !skip?.includes(p.check.id));
}

export function summarize(loaded: LoadedProfile): ProfileSummary {
  const { profile } = loaded;
  return {
    file: loaded.file,
    digest: loaded.digest,
    keyName: profile.key.name,
    system: profile.key.system,
    environment: profile.key.environment,
    purpose: profile.key.purpose,
    ...(profile.key.owner ? { owner: profile.key.owner } : {}),
    ...(profile.key.expires ? { expires: profile.key.expires } : {}),
    keyFingerprint: fingerprint(profile.key.secret),
    targetOrigin: profile.target.origin,
    targetEnvironment: profile.target.environment ?? profile.key.environment,
  };
}

export function newRunId(at: Date): string {
  return `${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

function currentUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
