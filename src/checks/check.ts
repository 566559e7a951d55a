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
import type { Unmet } from './requirements.js';

/**
 * When a check runs. `request` checks run first (concurrently); `lifecycle`
 * and `rate` checks run one at a time after them, because they change the
 * key's state or spend its rate window.
 */
export type CheckPhase = 'request' | 'lifecycle' | 'rate';

export interface CheckContext {
  readonly profile: Profile;
  /** The HTTP client for this check; its exchanges become the check's evidence. */
  readonly http: HttpClient;
  readonly secrets: SecretRegistry;
  /** Aborted when the run is interrupted. */
  readonly signal: AbortSignal;
  /** True when a person may be asked to act (manual lifecycle steps). */
  readonly interactive: boolean;
  /** The profile's lifecycle adapter; undefined when the profile has no lifecycle section. */
  readonly lifecycle?: LifecycleAdapter;
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
  /** What it found; without them the runner derives one finding from a fail or error verdict and its message. */
  readonly findings?: readonly OutcomeFinding[];
}

export interface Check<P extends z.ZodType = z.ZodType> {
  /** Stable id, `area.what-must-hold`; never renamed once released. */
  readonly id: string;
  /** Short title for reports: states the property, e.g. "A missing key is rejected". */
  readonly title: string;
  /** What the check verifies and how, in a sentence or two. */
  readonly description: string;
  readonly severity: Severity;
  /** The key practice it gives evidence for (reports group checks by it). */
  readonly practice?: PracticeName;
  /** Changes key state (disable, rotate, create, delete). */
  readonly destructive: boolean;
  readonly phase: CheckPhase;
  /** Parameters a suite may set (validated, with defaults). */
  readonly params: P;
  /**
   * Everything this profile lacks for the check to run (empty: it can run).
   * The runner skips the check with these words; `keyprobe validate` lists
   * them, located, for every required check of a suite. Keep every "cannot
   * run for this profile" rule here, not inside `run`.
   */
  unmet?(profile: Profile): readonly Unmet[];
  run(ctx: CheckContext, params: z.output<P>): Promise<CheckOutcome>;
}

/** Identity function that lets TypeScript infer the params type. */
export function defineCheck<P extends z.ZodType>(check: Check<P>): Check<P> {
  return check;
}

export const noParams = z.strictObject({});

export type AnyCheck = Check<z.ZodType>;
