// What a lifecycle adapter is: the five things keyprobe may do to a key
// (create, disable, enable, rotate, delete), each one optional — `can()` says
// which a given adapter offers — and each answering with a typed result that
// says when the action took effect, so checks can time from that moment.
import type { LifecycleActionRecord } from '../result.js';

export type LifecycleAction = 'create' | 'disable' | 'enable' | 'rotate' | 'delete';
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['create', 'disable', 'enable', 'rotate', 'delete'];

/** The key an action is about. The secret is never handed to an adapter. */
export interface KeyRef {
  readonly name: string;
  /** The platform's id; http and command adapters need it for every action but create. */
  readonly id?: string;
}

export interface NewKeySpec {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly environment: string;
  readonly owner?: string;
  /** Ask for a key that expires this many seconds after creation. */
  readonly expiresInSeconds?: number;
}

export interface CreatedKey extends KeyRef {
  /** Registered with the SecretRegistry before anything else sees it. */
  readonly secret: string;
}

export interface RotatedKey {
  /** The new secret, registered at once. */
  readonly secret: string;
  /** Some platforms give the rotated key a new id. */
  readonly id?: string;
}

/** When an action ran, in `performance.now()` milliseconds. */
export interface ActionTiming {
  readonly startedAt: number;
  /** The moment the action returned (for a manual step: the person pressed Enter). Latencies count from here. */
  readonly returnedAt: number;
  readonly durationMs: number;
}

export type ActionResult<T = void> =
  | { readonly outcome: 'done'; readonly value: T; readonly timing: ActionTiming }
  /** Not attempted: the adapter cannot do it, or a manual step had no one to ask. */
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly reason: string; readonly timing?: ActionTiming };

/** What one adapter action did, redacted, kept with the check's result as evidence. */
export type ActionRecord = LifecycleActionRecord;

export interface LifecycleAdapter {
  readonly kind: 'http' | 'command' | 'manual';
  can(action: LifecycleAction): boolean;
  create(spec: NewKeySpec): Promise<ActionResult<CreatedKey>>;
  disable(key: KeyRef): Promise<ActionResult>;
  enable(key: KeyRef): Promise<ActionResult>;
  rotate(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>>;
  delete(key: KeyRef): Promise<ActionResult>;
  /**
   * The same adapter for cleanup: not tied to the run's abort signal (cleanup
   * must still run after Ctrl-C), bounded by `timeoutMs` instead, and never
   * prompting a person after an interruption.
   */
  forCleanup(timeoutMs: number): LifecycleAdapter;
  /** Every action so far, including those of its cleanup copies. */
  records(): readonly ActionRecord[];
}

export function timingFrom(startedAt: number, returnedAt = performance.now()): ActionTiming {
  return { startedAt, returnedAt, durationMs: Math.round((returnedAt - startedAt) * 100) / 100 };
}

export function unsupported(kind: LifecycleAdapter['kind'], action: LifecycleAction, why?: string): ActionResult<never> {
  return { outcome: 'skipped', reason: why ?? `the ${kind} lifecycle adapter has no "${action}" action in this profile` };
}

/** Fills {{placeholders}} in text. Missing values become empty strings. */
export function fillText(text: string, values: Readonly<Record<string, unknown>>, encode: (s: string) => string = (s) => s): string {
  return text.replace(/\{\{\s*([A-Za-z]+)\s*\}\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined || v === null) return '';
    return encode(Array.isArray(v) ? v.join(',') : String(v));
  });
}

/** Placeholder values for a key and an action. */
export function placeholderValues(key: KeyRef | NewKeySpec, extra: { graceSeconds?: number } = {}): Record<string, unknown> {
  const spec = key as Partial<NewKeySpec> & KeyRef;
  return {
    id: spec.id,
    name: spec.name,
    scopes: spec.scopes,
    environment: spec.environment,
    owner: spec.owner,
    expiresInSeconds: spec.expiresInSeconds,
    graceSeconds: extra.graceSeconds,
  };
}
