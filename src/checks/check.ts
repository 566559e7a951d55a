// What a check is: a named, stable-id verification, a function of
// (context, params) that returns an outcome. Evidence (every exchange the
// check's HTTP client made) is attached by the runner.
import { z } from 'zod';
import type { Profile } from '../config/profile-schema.js';
import type { HttpClient, HttpResponse } from '../http/client.js';
import type { CleanupRegistry } from '../lifecycle/cleanup.js';
import type { LifecycleAdapter } from '../lifecycle/types.js';
import type { Measurement, PracticeName, Severity, Timeline, Verdict } from '../result.js';
import type { SecretRegistry } from '../secrets.js';
import { type Narrowed, type Requirement, type Unmet, unmetOf } from './requirements.js';

/**
 * When a check runs. `request` checks run first (concurrently); `lifecycle`
 * and `rate` checks run one at a time after them, because they change the
 * key's state or spend its rate window.
 */
export type CheckPhase = 'request' | 'lifecycle' | 'rate';

/**
 * What a check's `run` gets. `Pr` is the profile narrowed by the check's
 * `requires`; where it has a lifecycle section, the adapter is there too
 * (the runner makes one for every profile with a lifecycle section).
 */
export type CheckContext<Pr extends Profile = Profile> = CheckContextBase<Pr> &
  (undefined extends Pr['lifecycle'] ? { readonly lifecycle?: LifecycleAdapter } : { readonly lifecycle: LifecycleAdapter });

interface CheckContextBase<Pr extends Profile> {
  /** The profile; narrowed to what the check `requires` (a required section is present). */
  readonly profile: Pr;
  /** The HTTP client for this check; its exchanges become the check's evidence. */
  readonly http: HttpClient;
  /**
   * Every secret of the profile (key, canary, second key, other environments' keys) is registered here before the
   * check runs, and a lifecycle adapter registers every key it creates; a check registers only the values it derives
   * from the key itself (see src/secrets.ts, "Where secrets are registered").
   */
  readonly secrets: SecretRegistry;
  /** Aborted when the run is interrupted. */
  readonly signal: AbortSignal;
  /** True when a person may be asked to act (manual lifecycle steps). */
  readonly interactive: boolean;
  /** What to undo after this check (delete a canary, re-enable a key): the runner drains it even on fail, throw or Ctrl-C. */
  readonly cleanup: CleanupRegistry;
  /** Live status for long checks, e.g. "burst 212/400". */
  progress(text: string): void;
}

export type { PracticeName };

/**
 * One thing a check found. The runner turns it into a RunResult Finding:
 * `response` becomes the index of its recorded exchange, `path` (a field of
 * the profile, e.g. ['allowed', 0]) a file:line:column location.
 */
export interface OutcomeFinding {
  readonly title: string;
  readonly message: string;
  /** Defaults to the check's severity. */
  readonly severity?: Severity;
  /** The response that proved it. */
  readonly response?: HttpResponse;
  readonly path?: readonly (string | number)[];
}

export interface CheckOutcome {
  readonly verdict: Verdict;
  readonly message: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly advisories?: readonly string[];
  readonly measurements?: Readonly<Record<string, Measurement>>;
  readonly timeline?: Timeline;
  /** `declared` when the verdict rests only on what the profile declares (e.g. scopes without introspection). */
  readonly basis?: 'declared';
  /** What went wrong, one finding each, with the answer that proved it and the profile field it concerns; without them the runner derives one finding from a fail or error verdict and its message. */
  readonly findings?: readonly OutcomeFinding[];
}

/** What a check file declares; `defineCheck` turns it into a Check. */
export interface CheckDefinition<P extends z.ZodType, R extends readonly Requirement[]> {
  /** Stable id, `area.what-must-hold`; never renamed once released. */
  readonly id: string;
  /** Short title for reports: states the property, e.g. "A missing key is rejected". */
  readonly title: string;
  /** What the check verifies and how, in a sentence or two. */
  readonly description: string;
  readonly severity: Severity;
  /** The key practice it gives evidence for (reports group checks by it). */
  readonly practice: PracticeName;
  /** The launch exists for this check: the prelaunch suite marks it `required` (a skip leaves the launch unverified). */
  readonly required?: boolean;
  /** Changes key state (disable, rotate, create, delete). */
  readonly destructive: boolean;
  /** What the check does to keys when it is not destructive but may still make one, for the README table (e.g. "creates a canary key where it can"). */
  readonly keyEffect?: string;
  readonly phase: CheckPhase;
  /** Parameters a suite may set (validated, with defaults; each field described with `.meta`). */
  readonly params: P;
  /**
   * What the profile must have for the check to run, as data. The runner
   * skips the check with their words; `keyprobe validate` lists them,
   * located, for every required check of a suite; and `run` sees a profile
   * in which what they require is present. Keep every "cannot run for this
   * profile" rule here, not inside `run`.
   */
  readonly requires?: R;
  run(ctx: CheckContext<Narrowed<R>>, params: z.output<P>): Promise<CheckOutcome>;
}

export interface Check<P extends z.ZodType = z.ZodType> extends Omit<CheckDefinition<P, readonly Requirement[]>, 'run'> {
  readonly requires: readonly Requirement[];
  /** Everything this profile lacks for the check to run (empty: it can run), from `requires`. */
  unmet(profile: Profile): readonly Unmet[];
  run(ctx: CheckContext, params: z.output<P>): Promise<CheckOutcome>;
}

/**
 * Declares a check: infers its params type, and gives `run` the profile
 * narrowed by `requires` (the runner calls `run` only when `unmet` is empty).
 */
export function defineCheck<P extends z.ZodType, const R extends readonly Requirement[] = []>(definition: CheckDefinition<P, R>): Check<P> {
  const requires: readonly Requirement[] = definition.requires ?? [];
  return {
    ...definition,
    requires,
    unmet: (profile) => unmetOf(requires, profile),
    // Sound: the runner never runs a check whose requirements are unmet, and each requirement's unmet() is its narrowing's proof.
    run: definition.run as (ctx: CheckContext, params: z.output<P>) => Promise<CheckOutcome>,
  };
}

export const noParams = z.strictObject({});

export type AnyCheck = Check<z.ZodType>;
