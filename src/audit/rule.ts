// What an audit rule is: like a check, a named, stable-id judgement with a
// severity and parameters (its section of the audit policy), but over a whole
// inventory instead of a live endpoint. It returns one finding per offending
// key, and the keys it could not judge because the inventory does not record
// what it needs; the audit turns them into one CheckResult per rule.
import type { z } from 'zod';
import type { Severity } from '../result.js';
import type { Inventory, InventoryKey } from './inventory.js';

/** Settings every rule shares, besides its own thresholds. */
export interface AuditSettings {
  /** The instant the audit judges "now" by (epoch ms). */
  readonly now: number;
  /** Environment names that count as production. */
  readonly productionEnvironments: readonly string[];
  /** Environment names that count as test (non-production). */
  readonly testEnvironments: readonly string[];
  /** A key is due for rotation this many days after its creation or last rotation. */
  readonly rotationPeriodDays: number;
}

/** Which key a finding is about: enough to find it, never anything secret. */
export interface KeyRef {
  readonly id: string;
  /** Absent when the inventory records no name for the key. */
  readonly name?: string;
  readonly row: number;
  readonly line?: number;
  readonly environment?: string;
  readonly owner?: string;
}

export interface Finding {
  readonly key: KeyRef;
  /** What is wrong with this key, in a short phrase ("last used 2026-01-03, 143 days ago"). */
  readonly detail: string;
  /** Tells two findings of one rule for one key apart across runs (e.g. the field holding a secret). */
  readonly aspect?: string;
}

/** A key a rule could not judge: the inventory does not record what the rule needs. */
export interface NotVerifiable {
  readonly key: KeyRef;
  /** What is missing, in a short phrase ("no creation date recorded"). */
  readonly reason: string;
}

/** What a rule returns. */
export interface RuleOutput {
  readonly findings: Finding[];
  readonly notVerifiable: NotVerifiable[];
}

export interface AuditRule<P extends z.ZodType = z.ZodType> {
  /** Stable id, `audit.<what>`; never renamed once released. */
  readonly id: string;
  /** Short title that states the property, e.g. "Every key has a known owner". */
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  /** Whether a broken rule fails the audit (exit 1) unless the policy says otherwise. */
  readonly gating: boolean;
  /** The rule's thresholds in the policy file (strict, with defaults). */
  readonly params: P;
  /** What must hold, for reports' "expected". */
  expected(params: z.output<P>, settings: AuditSettings): string;
  /** What the findings are, as a plural noun phrase, e.g. "enabled keys unused for more than 90 days". */
  summary(params: z.output<P>, settings: AuditSettings): string;
  evaluate(inventory: Inventory, params: z.output<P>, settings: AuditSettings): RuleOutput;
}

export function defineRule<P extends z.ZodType>(rule: AuditRule<P>): AuditRule<P> {
  return rule;
}

export type AnyRule = AuditRule<z.ZodType>;

export const DAY_MS = 86_400_000;

export function refOf(key: InventoryKey): KeyRef {
  return {
    id: key.id,
    ...(key.name !== undefined ? { name: key.name } : {}),
    row: key.row,
    ...(key.line !== undefined ? { line: key.line } : {}),
    ...(key.environment !== undefined ? { environment: key.environment } : {}),
    ...(key.owner !== undefined ? { owner: key.owner } : {}),
  };
}

/** Collects a rule's findings and the keys it could not judge. */
export class Judgement implements RuleOutput {
  readonly findings: Finding[] = [];
  readonly notVerifiable: NotVerifiable[] = [];
  fail(key: InventoryKey, detail: string): void {
    this.findings.push({ key: refOf(key), detail });
  }
  cannotJudge(key: InventoryKey, reason: string): void {
    this.notVerifiable.push({ key: refOf(key), reason });
  }
}

/** Why a rule cannot judge a key, by the field the inventory does not record. */
export const NOT_RECORDED = {
  owner: 'the inventory does not record owners',
  scopes: 'the inventory does not record scopes',
  lastUsed: 'the inventory does not record when a key was last used',
  expires: 'the inventory does not record expiry',
  name: 'no name recorded',
  created: 'no creation date recorded',
} as const;

/** Days already formatted: findings of 100,000 keys name a few hundred distinct days, hundreds of thousands of times. */
const dayText = new Map<number, string>();

/** A date for messages: the day, in UTC. */
export function day(ms: number): string {
  const n = Math.floor(ms / DAY_MS);
  let text = dayText.get(n);
  if (text === undefined) {
    text = new Date(n * DAY_MS).toISOString().slice(0, 10);
    if (dayText.size < 100_000) dayText.set(n, text);
  }
  return text;
}

/** Whole days between two instants, rounded down. */
export function daysBetween(from: number, to: number): number {
  return Math.floor((to - from) / DAY_MS);
}

/** A matcher for globs with `*` as "any text" (scopes such as `*:admin`), compiled once per audit. */
export function globMatcher(patterns: readonly string[]): (text: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns
    .filter((p) => p.includes('*'))
    .map(
      (p) =>
        new RegExp(
          `^${p
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        ),
    );
  return (text) => exact.has(text) || wild.some((re) => re.test(text));
}
