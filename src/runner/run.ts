// The runner: plans the suite for each profile, runs its checks, and turns
// everything into one immutable RunResult. A check that throws gets `error`;
// an interrupted run still returns a result, marked incomplete.
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pLimit from 'p-limit';
import type { Agent } from 'undici';
import type { CheckContext, CheckOutcome } from '../checks/check.js';
import type { LoadedProfile } from '../config/load-profile.js';
import type { LoadedSuite, PlannedCheck } from '../checks/suite.js';
import { CheckError, InterruptedError } from '../errors.js';
import { BurstPools } from '../http/burst.js';
import { createDispatcher, DEFAULT_CONNECTIONS as CONNECTIONS_PER_PROFILE, HttpClient, RequestBudget } from '../http/client.js';
import { skipMessage } from '../checks/requirements.js';
import type { PacerStats } from '../http/pacing.js';
import { CLEANUP_TIMEOUT_MS, CleanupRegistry, type CleanupOutcome, type CleanupWatcher } from '../lifecycle/cleanup.js';
import { createLifecycleAdapter, type Terminal } from '../lifecycle/index.js';
import { restoreInstruction } from '../lifecycle/restore.js';
import {
  notRunBecause,
  leftTargetChanged,
  RESULT_SCHEMA_VERSION,
  type CheckResult,
  type CleanupRecord,
  type LifecycleActionRecord,
  type Preflight,
  type ProfileRun,
  type ProfileSource,
  type ProfileSummary,
  type RunResult,
} from '../result.js';
import { fingerprint, SecretRegistry } from '../secrets.js';
import { TOOL } from '../version.js';
import { findingsOf } from './findings.js';
import { safeObserver, type RunObserver } from './observer.js';
import { PACING_HEADROOM, PacingPlan, throttleRuleFor } from './pacing-plan.js';
import { preflight } from './preflight.js';
import { launchVerdict, type VerdictInput } from './verdict.js';
import { planShards } from './sharding.js';
import { runShards } from './shards.js';
import { ProfileSlots } from './slots.js';
import type { ProfileSpool } from './spool.js';
import { restorationVerifier } from './verify-restored.js';
import { followedSignal } from './followed-signal.js';

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
  /**
   * Environment lifecycle commands take PATH, HOME and the variables their profile lists from. The CLI passes the
   * one it read (io.env); without it commands get none of them (the runner reads no environment of its own).
   */
  readonly env?: NodeJS.ProcessEnv;
  /** The operator allows the command lifecycle adapter to run shell commands (--allow-commands). Default false. */
  readonly allowCommands?: boolean;
  /** Where finished profiles wait until the run is over (src/runner/spool.ts); without one they are held in memory. */
  readonly spool?: ProfileSpool;
  /**
   * Worker threads the checks run on (--threads): undefined or 1 runs them
   * all on this thread (src/runner/sharding.ts says why that is the default).
   */
  readonly threads?: number;
  /** The worker threads' script (tests: one that crashes); default the build's src/runner/shard-worker.ts. */
  readonly workerEntry?: URL;
  /** After an interrupt, how long a worker thread may take to finish (tests); default STOP_GRACE_MS (src/runner/shards.ts). */
  readonly stopGraceMs?: number;
}

/** Request-phase checks of one profile that run at once. Kept low so they do not trip the target's rate limit. */
const REQUEST_PHASE_CONCURRENCY = 2;

/**
 * Runs the suite. Without a spool the result holds every profile in memory
 * (tests, small runs); with one, finished profiles go to disk as they finish
 * and the result reads them from there (a ProfileSource), so the run-level
 * figures (the verdict, the cleanups) are gathered as profiles finish.
 */
export function runSuite(options: RunOptions & { readonly spool: ProfileSpool }): Promise<RunResult<ProfileSpool>>;
export function runSuite(options: RunOptions & { readonly spool?: undefined }): Promise<RunResult>;
export async function runSuite(options: RunOptions): Promise<RunResult<ProfileSource>> {
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

  const cleanups: CleanupRecord[] = [];
  // What the launch verdict needs of each check, gathered as profiles finish (a spooled run is not read back for it).
  const verdictInputs: VerdictInput[] = [];
  // Without a spool, each profile keeps its checks (by position in the plan) until it is done.
  const checksOf = new Map<number, Map<number, CheckResult>>();
  const held: ProfileRun[] = [];
  const sink: RunSink = {
    // A finished check goes to the spool at once (its evidence is not held while the profile waits on its
    // revocation and rate windows).
    check(index, position, result, json) {
      verdictInputs.push({ gating: result.gating, verdict: result.verdict, ...(result.required ? { required: true } : {}) });
      if (options.spool) options.spool.putCheck(index, position, result, json);
      else {
        const checks = checksOf.get(index) ?? new Map<number, CheckResult>();
        checks.set(position, result);
        checksOf.set(index, checks);
      }
    },
    profile(index, run) {
      // The fields in results.json's order; with a spool the checks are on disk already, and the spool puts them here when it reads the profile.
      const checks = checksOf.get(index);
      checksOf.delete(index);
      const finished: ProfileRun = {
        profile: run.profile,
        ...(run.preflight ? { preflight: run.preflight } : {}),
        checks: options.spool ? [] : plan.map((_, position) => checks!.get(position)!),
        requestsSent: run.requestsSent,
        requestBudget: run.requestBudget,
        notes: run.notes,
      };
      // With a spool, a finished profile goes to disk (its checks are there already) and is not kept here.
      if (options.spool) options.spool.put(index, finished);
      else held[index] = finished;
    },
    cleanup(record) {
      cleanups.push(record);
    },
  };
  const entries = options.profiles.map((loaded, index) => ({ loaded, index, summary: summaries[index]! }));
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const shards = planShards({ ...options, concurrency });
  if (shards) {
    const unrun = (planned: PlannedCheck, message: string, summary: ProfileSummary) =>
      unrunResult(planned, message, { secrets, observer }, summary);
    await runShards({ options, entries, plan, shards, secrets, signal, observer, sink, unrun });
  } else await runProfiles(entries, plan, { ...options, secrets, signal, observer, concurrency, sink });

  const finishedAt = new Date();
  const incomplete = signal.aborted;
  const requiredLeftOut = options.suite.checks.filter((c) => c.required && !plan.includes(c)).map((c) => c.check.id);
  const cleanup = { complete: !cleanups.some(leftTargetChanged), records: cleanups };
  const { verdict, exitCode } = launchVerdict(verdictInputs, incomplete, cleanups);
  const header = deepFreeze({
    schemaVersion: RESULT_SCHEMA_VERSION,
    subject: { kind: 'keys' },
    runId,
    tool: { ...TOOL },
    operator: options.operator ?? currentUser(),
    suite: { name: options.suite.name, file: options.suite.file },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    incomplete,
    profiles: options.spool ? [] : held,
    cleanup,
    ...(requiredLeftOut.length > 0 ? { requiredLeftOut } : {}),
    verdict,
    exitCode,
  } satisfies RunResult);
  // The spool stands where the array would (the same place among the fields, so results.json keeps its order).
  const result: RunResult<ProfileSource> = options.spool ? Object.freeze({ ...header, profiles: options.spool }) : header;
  observer.runFinished(result);
  return result;
}

/** One profile of the run: where it stands in the run's order (`index`), and what the reports call it. */
export interface ProfileEntry {
  readonly loaded: LoadedProfile;
  readonly index: number;
  readonly summary: ProfileSummary;
}

/**
 * Where the profiles' outcomes go as they happen: the run's spool and verdict
 * on this thread, or messages to it from a worker thread (src/runner/shards.ts).
 */
export interface RunSink {
  /** A finished check of profile `index`, at `position` in the plan (`json`: the result serialized, when it came so). */
  check(index: number, position: number, result: CheckResult, json?: string): void;
  /** Profile `index` is done (its checks went to check() already). */
  profile(index: number, run: Omit<ProfileRun, 'checks'>): void;
  /** A cleanup that put a key back, in the order they ran. */
  cleanup(record: CleanupRecord): void;
}

/** What runProfiles needs besides the profiles and the plan. */
export interface ProfilesContext extends Pick<RunOptions, 'budget' | 'ca' | 'interactive' | 'terminal' | 'env' | 'allowCommands'> {
  readonly secrets: SecretRegistry;
  readonly signal: AbortSignal;
  readonly observer: Required<RunObserver>;
  /** Profiles that work at once (the run's --concurrency, or this thread's share of it). */
  readonly concurrency: number;
  readonly sink: RunSink;
  /** Told of each check's cleanup tasks as they are registered (a worker thread tells the main thread: src/runner/shards.ts). */
  readonly watchCleanups?: (entry: ProfileEntry, checkId: string) => CleanupWatcher;
}

/**
 * Runs the checks of these profiles with one pacing plan, one set of
 * concurrency slots and one connection pool for all of them: every profile
 * that shares a rate-limit bucket with another must be among them (the whole
 * run, or one shard of it: src/runner/sharding.ts).
 */
export async function runProfiles(entries: readonly ProfileEntry[], plan: readonly PlannedCheck[], ctx: ProfilesContext): Promise<void> {
  // One pacing plan for all of them: profiles that talk to one origin share its buckets.
  const pacing = new PacingPlan(entries.map((e) => e.loaded.profile));
  const slots = new ProfileSlots(ctx.concurrency);
  const dispatchers = new RunDispatchers(ctx.concurrency);
  await Promise.all(
    entries.map((entry) => {
      // A signal of the profile's own, so its clock waits lend its slot (src/runner/slots.ts); it aborts with the run's.
      const profile = followedSignal(ctx.signal);
      return slots
        .run(profile.signal, async () => {
          const keep = (position: number, result: CheckResult) => ctx.sink.check(entry.index, position, result);
          const run = await runProfile(entry, plan, keep, { ...ctx, signal: profile.signal, pacing, dispatchers });
          ctx.sink.profile(entry.index, run);
        })
        .finally(profile.release);
    }),
  ).finally(() => dispatchers.close());
}

interface ProfileRunContext extends ProfilesContext {
  readonly pacing: PacingPlan;
  readonly dispatchers: RunDispatchers;
}

/**
 * One connection pool for the whole run per CA the profiles trust (nearly
 * always one): profiles on one origin reuse one another's idle keep-alive
 * connections instead of each opening and closing its own. It has room for
 * as many connections as the profiles in flight had with a pool each, so no
 * request waits for a connection it would not have waited for before.
 */
class RunDispatchers {
  private readonly agents = new Map<string | Buffer | undefined, Agent>();
  constructor(private readonly concurrency: number) {}

  for(ca: string | Buffer | undefined): Agent {
    let agent = this.agents.get(ca);
    if (!agent) {
      agent = createDispatcher({ ...(ca ? { ca } : {}), connections: CONNECTIONS_PER_PROFILE * this.concurrency });
      this.agents.set(ca, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close().catch(() => undefined)));
  }
}

/** Runs one profile's checks; each finished check is handed to `keep` (with its position in the plan) as it finishes. */
async function runProfile(
  entry: ProfileEntry,
  plan: readonly PlannedCheck[],
  keep: (position: number, result: CheckResult) => void,
  ctx: ProfileRunContext,
): Promise<Omit<ProfileRun, 'checks'>> {
  const { loaded, summary } = entry;
  const { profile } = loaded;
  const budget = new RequestBudget(ctx.budget ?? profile.target.budget);
  // --ca wins over the profile's target.ca (already read by the loader).
  const dispatcher = ctx.dispatchers.for(ctx.ca ?? loaded.ca);
  // The profile's bursts reuse one another's connections; closed with the profile.
  const burstPools = new BurstPools();
  const baseClient = new HttpClient({
    origin: profile.target.origin,
    auth: profile.target.auth,
    primaryKey: profile.key.secret,
    timeoutMs: profile.target.timeoutMs,
    budget,
    secrets: ctx.secrets,
    dispatcher,
    signal: ctx.signal,
    throttle: throttleRuleFor(profile),
    pacing: (secret) => ctx.pacing.pacerFor(profile.target.origin, secret),
    // The burst's own connection pool trusts the same CA.
    ca: ctx.ca ?? loaded.ca,
    burstPools,
  });
  const notes: string[] = [];
  const runOne = async (planned: PlannedCheck, hold?: object) => {
    keep(plan.indexOf(planned), await runCheck(planned, entry, baseClient, ctx, notes, hold));
  };
  let pre: Preflight | undefined;

  try {
    // Only when some check will talk to the target: a run of skips sends nothing.
    if (plan.some((p) => (p.check.unmet?.(profile) ?? []).length === 0)) pre = await runPreflight(baseClient, loaded, ctx);
    if (pre && !pre.reachable) {
      // Nothing can be judged against a target that does not answer: one message, no check sent anything.
      ctx.observer.preflightFinished(summary, pre);
      for (const [position, p] of plan.entries()) keep(position, unrunResult(p, `${notRunBecause(pre!)} (${pre!.message})`, ctx, summary));
      return finishProfile();
    }

    // Request checks first (they leave the key as they found it), then the
    // ones that change key state or spend the rate window, one at a time.
    const requestLimit = pLimit(REQUEST_PHASE_CONCURRENCY);
    await Promise.all(plan.filter((p) => p.check.phase === 'request').map((p) => requestLimit(() => runOne(p))));
    // A burst spends the rate-limit bucket (the key's, or the whole origin's
    // for a per-client or global limiter): each rate check that bursts holds
    // the bucket alone, starting once a whole window has passed since its last
    // answer, so every burst begins on a fresh window and no other request of
    // the run lands in it; the burst's requests then keep the next request
    // waiting their window (src/http/pacing.ts).
    const bucket = ctx.pacing.burstBucket(profile);
    let bursts = 0;
    let heldWaitMs = 0;
    let settledMs = 0;
    // Profiles that share a bucket take turns at these phases (PacingPlan.turn).
    const later = plan.some((p) => p.check.phase !== 'request');
    const turn = later && !ctx.signal.aborted ? await ctx.pacing.turn(profile, ctx.signal).catch(interruptedToUndefined) : undefined;
    try {
      for (const phase of ['lifecycle', 'rate'] as const) {
        for (const p of plan.filter((c) => c.check.phase === phase)) {
          const holds = bucket && phase === 'rate' && (p.check.unmet?.(profile) ?? []).length === 0 && !ctx.signal.aborted;
          const hold = holds ? await bucket.hold(ctx.signal).catch(interruptedToUndefined) : undefined;
          try {
            await runOne(p, hold?.token);
          } finally {
            hold?.release();
          }
          if (hold) {
            bursts++;
            heldWaitMs += hold.waitedMs;
          }
        }
      }
      // And once more after the last burst, so the key leaves the run unthrottled (a run right after this one, or the key's real traffic, starts clean).
      if (bucket && bursts > 0 && !ctx.signal.aborted) settledMs = await bucket.settle(ctx.signal).catch(() => 0);
    } finally {
      turn?.release();
    }
    if (turn && turn.waitedMs >= 1)
      notes.push(
        `Lifecycle and rate-limit checks waited ${Math.round(turn.waitedMs)} ms for another profile's on ${turn.label}: profiles that share a rate-limit bucket take turns at them, so no burst holds up the probes that time a revocation.`,
      );
    if (bucket) notes.push(pacingNote(profile, bucket.spec.label, bucket.stats));
    if (plan.some((p) => p.check.phase === 'rate'))
      notes.push(
        `Rate-limit checks ran last, one at a time, so their bursts could not throttle any other check${bursts > 0 && bucket ? `; ${bursts === 1 ? 'the burst' : `each of the ${bursts} bursts`} had ${bucket.spec.label} to itself and began on a fresh window (keyprobe waited ${Math.round(heldWaitMs)} ms for that in all), and keyprobe waited ${Math.round(settledMs)} ms after the last one, so the key was left unthrottled` : ''}.`,
      );
  } finally {
    await burstPools.close();
  }
  return finishProfile();

  function finishProfile(): Omit<ProfileRun, 'checks'> {
    return {
      profile: summary,
      ...(pre ? { preflight: pre } : {}),
      requestsSent: budget.spent,
      requestBudget: budget.limit,
      notes,
    };
  }
}

/** The profile's preflight, or undefined when it could not be asked (budget too small, interrupted). */
async function runPreflight(client: HttpClient, loaded: LoadedProfile, ctx: ProfileRunContext): Promise<Preflight | undefined> {
  if (ctx.signal.aborted) return undefined;
  try {
    const pre = await preflight(client, loaded.profile);
    return { ...pre, message: ctx.secrets.redact(pre.message) };
  } catch (err) {
    // The budget and an interruption are each check's to report, as without a preflight.
    if (err instanceof CheckError || err instanceof InterruptedError) return undefined;
    throw err;
  }
}

/** What every result of a planned check says about the check itself, run or not. */
function checkIdentity(planned: PlannedCheck) {
  const { check } = planned;
  return {
    id: check.id,
    title: check.title,
    description: check.description,
    practice: check.practice,
    severity: check.severity,
    gating: planned.gating,
    ...(planned.required ? { required: true } : {}),
    destructive: check.destructive,
  };
}

/** The result of a check that was never started (or whose thread stopped before it reported one: src/runner/shards.ts). */
export function unrunResult(
  planned: PlannedCheck,
  message: string,
  ctx: Pick<ProfilesContext, 'secrets' | 'observer'>,
  summary: ProfileSummary,
): CheckResult {
  const { check } = planned;
  const redacted = ctx.secrets.redact(message);
  const result: CheckResult = {
    ...checkIdentity(planned),
    verdict: 'error',
    message: redacted,
    findings: [{ title: check.title, message: redacted, severity: check.severity }],
    advisories: [],
    measurements: {},
    evidence: [],
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
  ctx.observer.checkFinished(summary, result);
  return result;
}

async function runCheck(
  planned: PlannedCheck,
  entry: ProfileEntry,
  baseClient: HttpClient,
  ctx: ProfileRunContext,
  notes: string[],
  hold?: object,
): Promise<CheckResult> {
  const { check, params } = planned;
  const { loaded, summary } = entry;
  const startedAt = new Date();
  const t0 = performance.now();
  const http = baseClient.fork(undefined, {
    ...(hold ? { hold } : {}),
    progress: (text) => ctx.observer.checkProgress(summary, check.id, ctx.secrets.redact(text)),
  });
  const actions: LifecycleActionRecord[] = [];
  let actedOn: string | undefined;
  const finish = (outcome: CheckOutcome): CheckResult => {
    const { exchanges, omitted } = http.evidence();
    const redact = (s: string) => ctx.secrets.redact(s);
    const advisories = (outcome.advisories ?? []).map(redact);
    if (omitted > 0) advisories.push(`${omitted} further exchanges are not kept as evidence`);
    const result: CheckResult = {
      ...checkIdentity(planned),
      ...(actedOn ? { actedOn } : {}),
      verdict: outcome.verdict,
      ...(outcome.basis ? { basis: outcome.basis } : {}),
      message: redact(outcome.message),
      findings: findingsOf(outcome, { check, profile: loaded, http, exchanges: exchanges.length, redact }),
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
  const unmet = check.unmet?.(loaded.profile) ?? [];
  if (unmet.length > 0) return finish({ verdict: 'skip', message: skipMessage(unmet) });

  ctx.observer.checkStarted(summary, { id: check.id, title: check.title });
  const cleanup = new CleanupRegistry(ctx.watchCleanups?.(entry, check.id));
  const interactive = ctx.interactive ?? false;
  const lifecycle = createLifecycleAdapter({
    profile: loaded.profile,
    http,
    secrets: ctx.secrets,
    signal: ctx.signal,
    interactive,
    ...(ctx.terminal ? { terminal: ctx.terminal } : {}),
    env: ctx.env ?? {},
    allowCommands: ctx.allowCommands === true,
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
  // Undo what the check did (canaries, disabled keys) whatever happened above, Ctrl-C included, and look that it holds.
  if (cleanup.size > 0) {
    const outcomes = await cleanup.drain(CLEANUP_TIMEOUT_MS, restorationVerifier(baseClient, loaded.profile));
    const redact = (s: string) => ctx.secrets.redact(s);
    const unfinished: string[] = [];
    for (const o of outcomes) {
      // The label names the key by id, which may itself be a secret (an id that is the key).
      const line = redact(`${o.label}: ${o.detail}`);
      if (o.outcome === 'failed' || o.outcome === 'unverified') {
        notes.push(`${check.id}: CLEANUP ${o.outcome === 'failed' ? 'FAILED' : 'NOT VERIFIED'}: ${line}`);
        unfinished.push(`cleanup ${o.outcome === 'failed' ? 'failed' : 'not verified'}: ${line}`);
      } else notes.push(`${check.id}: cleanup: ${line}`);
      if (o.restores) ctx.sink.cleanup(cleanupRecord(o, check.id, summary, loaded, redact));
    }
    actedOn =
      [...new Set(outcomes.flatMap((o) => (o.restores ? [redact(`${o.restores.subject} "${o.restores.key.name}"`)] : [])))].join(', ') ||
      undefined;
    if (unfinished.length > 0) outcome = { ...outcome, advisories: [...(outcome.advisories ?? []), ...unfinished] };
  }
  return finish(outcome);
}

/** A wait cut short by Ctrl-C: the check then reports that it did not run. */
function interruptedToUndefined(err: unknown): undefined {
  if (err instanceof InterruptedError) return undefined;
  throw err;
}
/** A drained cleanup task as the run reports it: what was put back, whether it held, and how to do it by hand if not. */
function cleanupRecord(
  o: CleanupOutcome,
  checkId: string,
  summary: ProfileSummary,
  loaded: LoadedProfile,
  redact: (s: string) => string,
): CleanupRecord {
  const r = o.restores!;
  // Done but not probeable (a canary refused anyway, a secret never learnt) is `sent`, never `verified`.
  const outcome = o.outcome === 'done' ? 'sent' : o.outcome;
  const leftChanged = leftTargetChanged({ outcome });
  const leftState =
    o.outcome === 'failed'
      ? r.leftState
      : r.action === 'enable'
        ? 'disabled, as far as keyprobe can see'
        : 'still usable, as far as keyprobe can see';
  return {
    profile: summary.keyName,
    check: checkId,
    key: redact(r.key.name),
    ...(r.key.id ? { keyId: redact(r.key.id) } : {}),
    subject: r.subject,
    action: r.action,
    outcome,
    detail: redact(o.detail),
    ...(leftChanged ? { leftState, restore: redact(restoreInstruction(loaded.profile, r.action, r.key)) } : {}),
  };
}

/** What pacing did for a profile, in words for the report. */
function pacingNote(profile: LoadedProfile['profile'], label: string, stats: PacerStats): string {
  const rl = profile.rateLimit!;
  const perWindow = Math.max(1, Math.floor(rl.limit * PACING_HEADROOM));
  const held =
    stats.delayed > 0
      ? `${stats.delayed} request${stats.delayed === 1 ? '' : 's'} waited ${Math.round(stats.delayedMs)} ms in all for a slot`
      : 'no request had to wait for a slot';
  return `Pacing: ${label} was kept to at most ${perWindow} requests per ${rl.windowSeconds} s window (${Math.round(PACING_HEADROOM * 100)}% of the declared limit of ${rl.limit}, rateLimit.scope: ${rl.scope}); in this run so far ${held}.`;
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

/** The OS account, when the caller names no operator (the CLI always does: --operator, the account, or $USER, cli/operator.ts). */
function currentUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
