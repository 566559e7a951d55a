// What every lifecycle adapter does the same way, so an adapter implements
// only its actions (send this template, run this command, ask this person):
//
// - which actions it has: those its profile section declares (`can`), and
//   the "skipped: not declared" answer for the others, before any action runs;
// - its cleanup copy (`forCleanup`): the same adapter, not tied to the run's
//   abort signal (cleanup must still run after Ctrl-C), bounded by its own
//   time limit instead, and sharing the records;
// - the retry limits of an action (lifecycle.retry, and a cleanup copy's
//   deadline);
// - recording: one record per action attempt, tagged with the adapter's kind
//   and the key's name (never its secret), marked `detached` for a cleanup
//   copy, its tries' errors redacted;
// - registering every secret an action meets, before anything else sees it.
import type { LifecycleAttempt } from '../result.js';
import type { AdapterDeps } from './deps.js';
import type { RetryLimits } from './retry.js';
import {
  unsupported,
  type ActionRecord,
  type ActionResult,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type LifecycleAdapter,
  type NewKeySpec,
  type RotatedKey,
} from './types.js';

/** The actions that only change a key's state; each adapter performs them the same way. */
export type StateAction = 'disable' | 'enable' | 'delete';

/** What one action came to, as kept with the check's result. */
export interface RecordEntry {
  readonly outcome: ActionRecord['outcome'];
  readonly detail: string;
  readonly durationMs?: number;
  readonly output?: string;
  readonly attempts?: readonly LifecycleAttempt[];
}

const DEFAULT_RETRY = { attempts: 5, maxSeconds: 30 };

export abstract class LifecycleAdapterBase<K extends string, S extends object> implements LifecycleAdapter<K> {
  abstract readonly kind: K;
  /** Aborts waits: the run's signal, or for a cleanup copy its own time limit (it outlives Ctrl-C). */
  protected readonly signal: AbortSignal;
  /** A cleanup copy's hard end, in performance.now() ms. */
  private readonly cleanupDeadline?: number;

  constructor(
    protected readonly spec: S,
    protected readonly deps: AdapterDeps,
  ) {
    const cleanup = deps.cleanupTimeoutMs;
    this.signal = cleanup !== undefined ? AbortSignal.timeout(cleanup) : deps.signal;
    if (cleanup !== undefined) this.cleanupDeadline = performance.now() + cleanup;
  }

  /** Set on a cleanup copy: its time limit in ms. */
  protected get cleanupTimeoutMs(): number | undefined {
    return this.deps.cleanupTimeoutMs;
  }

  /** An action is offered when the profile's section declares it (`lifecycle.http.disable`, …). */
  can(action: LifecycleAction): boolean {
    return (this.spec as Partial<Record<LifecycleAction, unknown>>)[action] !== undefined;
  }

  forCleanup(timeoutMs: number): LifecycleAdapter<K> {
    const Same = this.constructor as new (spec: S, deps: AdapterDeps) => LifecycleAdapter<K>;
    return new Same(this.spec, { ...this.deps, cleanupTimeoutMs: timeoutMs });
  }

  records(): readonly ActionRecord[] {
    return [...this.deps.records];
  }

  create(spec: NewKeySpec): Promise<ActionResult<CreatedKey>> {
    return this.can('create') ? this.createKey(spec) : Promise.resolve(this.notOffered('create'));
  }

  rotate(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>> {
    return this.can('rotate') ? this.rotateKey(key, graceSeconds) : Promise.resolve(this.notOffered('rotate'));
  }

  disable(key: KeyRef): Promise<ActionResult> {
    return this.stateAction('disable', key);
  }

  enable(key: KeyRef): Promise<ActionResult> {
    return this.stateAction('enable', key);
  }

  delete(key: KeyRef): Promise<ActionResult> {
    return this.stateAction('delete', key);
  }

  private stateAction(action: StateAction, key: KeyRef): Promise<ActionResult> {
    return this.can(action) ? this.changeState(action, key) : Promise.resolve(this.notOffered(action));
  }

  /** Creates a key; called only when the profile declares `create`. */
  protected abstract createKey(spec: NewKeySpec): Promise<ActionResult<CreatedKey>>;
  /** Rotates a key; called only when the profile declares `rotate`. */
  protected abstract rotateKey(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>>;
  /** Disables, enables or deletes a key; called only for a declared action. */
  protected abstract changeState(action: StateAction, key: KeyRef): Promise<ActionResult>;

  /** The answer to an action the profile does not declare; an adapter may say why in its own words. */
  protected notOffered(action: LifecycleAction): ActionResult<never> {
    return unsupported(this.kind, action);
  }

  /** Keeps what an action did, as evidence. */
  protected record(action: LifecycleAction, key: KeyRef | NewKeySpec, entry: RecordEntry): void {
    const redact = (s: string) => this.deps.secrets.redact(s);
    const attempts = entry.attempts ?? [];
    this.deps.records.push({
      action,
      adapter: this.kind,
      key: key.name,
      outcome: entry.outcome,
      detail: entry.detail,
      ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}),
      ...(entry.output ? { output: entry.output } : {}),
      ...(this.cleanupTimeoutMs !== undefined ? { detached: true } : {}),
      ...(attempts.length > 0 ? { attempts: attempts.map((a) => (a.error ? { ...a, error: redact(a.error) } : a)) } : {}),
    });
  }

  /** The tries and time one action may take (lifecycle.retry), and a cleanup copy's deadline on top. */
  protected retryLimits(): RetryLimits {
    const retry = this.deps.profile.lifecycle?.retry ?? DEFAULT_RETRY;
    return {
      policy: { attempts: retry.attempts, maxMs: retry.maxSeconds * 1000 },
      signal: this.signal,
      ...(this.cleanupDeadline !== undefined
        ? { deadline: this.cleanupDeadline, deadlineName: `the cleanup time (${this.cleanupTimeoutMs} ms)` }
        : {}),
    };
  }

  /** A value an action met that must never be written: redacted from here on, and flagged if it ever is written. */
  protected registerSecret(value: string, label: 'canary' | 'secret'): void {
    this.deps.secrets.add(value, label);
  }

  protected redact(text: string): string {
    return this.deps.secrets.redact(text);
  }
}
