// What a lifecycle adapter is: the five things keyprobe may do to a key
// (create, disable, enable, rotate, delete), each one optional — `can()` says
// which a given adapter offers — and each answering with a typed result that
// says when the action took effect, so checks can time from that moment.
import type { LifecycleActionRecord } from '../result.js';

export type LifecycleAction = 'create' | 'disable' | 'enable' | 'rotate' | 'delete';
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['create', 'disable', 'enable', 'rotate', 'delete'];

/**
 * What the checks use each action for, worded once for every adapter's field
 * descriptions (lifecycle.http.<action>, lifecycle.command.<action>,
 * lifecycle.manual.<action>).
 */
export const ACTION_PURPOSE: Readonly<Record<LifecycleAction, string>> = {
  create:
    'Creates a canary key with the scopes of key.scopes, when the profile declares no spare key: for lifecycle.rotated-key, lifecycle.expired-key-rejected (a canary that expires in seconds), lifecycle.disabled-key-rejected, auth.key-in-query-rejected and rate.per-key-isolation. Needs delete too: every canary keyprobe creates is deleted afterwards.',
  disable:
    'Disables a key for lifecycle.disabled-key-rejected, which times the revocation from the moment this action returns. Without it, that check deletes a canary it created instead (where the adapter can create and delete).',
  enable:
    "Re-enables the key lifecycle.disabled-key-rejected disabled, as cleanup after that check (after Ctrl-C too): needed when that key is a declared canary or (lifecycle.actOnOwnKey) the profile's own key.",
  rotate:
    'Rotates a canary keyprobe created, for lifecycle.rotated-key: the new secret must work at once, the old one stop after lifecycle.rotationGraceSeconds.',
  delete:
    "Deletes a canary keyprobe created, as cleanup after the check that used it (after Ctrl-C too); lifecycle.disabled-key-rejected uses it as the off switch where there is no disable. Never used on the profile's own key or a declared one.",
};

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

/**
 * What a create or rotate answered, besides the secret, for checks that must
 * verify a property of the key they made ("the create action set an expiry").
 * Every secret-looking value is left out (see answer-secrets.ts).
 *
 *   fields:     the answer with secrets removed, e.g. { id: "key_1", expiresAt: "2027-…", scopes: ["agents:read"] }
 *               (a command's: the JSON object it printed; {} when the answer was not a JSON object)
 *   fieldNames: every field's dotted name, secrets included, e.g. ["id", "secret", "expiresAt", "scopes[]"]
 */
export interface AnswerFields {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly fieldNames: readonly string[];
}

export interface CreatedKey extends KeyRef, AnswerFields {
  /** Registered with the SecretRegistry before anything else sees it. */
  readonly secret: string;
}

export interface RotatedKey extends AnswerFields {
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
  | {
      readonly outcome: 'failed';
      readonly reason: string;
      readonly timing?: ActionTiming;
      /**
       * A key the failed action left on the platform, when its id could be read
       * (a create that answered 201 where 200 was expected, a command that printed
       * the new key and then exited 1): the caller schedules its delete.
       */
      readonly orphan?: KeyRef;
    };

/** What one adapter action did, redacted, kept with the check's result as evidence. */
export type ActionRecord = LifecycleActionRecord;

/** `K`: the adapter's kind, the one its definition declares (adapter-definition.ts), so the two cannot differ. */
export interface LifecycleAdapter<K extends string = string> {
  readonly kind: K;
  /**
   * Whether this adapter has the action at all, as the profile declares it
   * (an http or command section per action; a manual adapter's `actions`).
   * Checks branch on it: a platform that can only delete answers
   * can('disable') === false. A declared action may still be skipped when
   * run (a manual step without a terminal, commands without --allow-commands).
   */
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

export function unsupported(kind: string, action: LifecycleAction, why?: string): ActionResult<never> {
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

/**
 * Placeholder values for a key and an action. The expiry is offered in the
 * forms management APIs ask for; the absolute ones are computed from `now`
 * (the moment the request is built) and rounded up to a whole second.
 */
export function placeholderValues(
  key: KeyRef | NewKeySpec,
  extra: { graceSeconds?: number } = {},
  now = Date.now(),
): Record<string, unknown> {
  const spec = key as Partial<NewKeySpec> & KeyRef;
  const expiry = spec.expiresInSeconds === undefined ? undefined : expiryForms(spec.expiresInSeconds, now);
  return {
    id: spec.id,
    name: spec.name,
    scopes: spec.scopes,
    environment: spec.environment,
    owner: spec.owner,
    expiresInSeconds: spec.expiresInSeconds,
    expiresAt: expiry?.iso,
    expiresAtEpochSeconds: expiry?.epochSeconds,
    expiresAtEpochMs: expiry?.epochMs,
    graceSeconds: extra.graceSeconds,
  };
}

/** An expiry `inSeconds` from `now`: ISO 8601 in UTC without fractions (2027-03-01T12:00:30Z), epoch seconds, epoch ms. */
export function expiryForms(inSeconds: number, now = Date.now()): { iso: string; epochSeconds: number; epochMs: number } {
  const epochSeconds = Math.ceil((now + inSeconds * 1000) / 1000);
  return { iso: new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z'), epochSeconds, epochMs: epochSeconds * 1000 };
}
