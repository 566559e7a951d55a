// The waivers file: findings (audit) or check results (run) a team has
// accepted, each with who accepted it, why, and until when. A waiver names a
// rule or a check and, optionally, one key; without a key it accepts every
// finding of that rule. An expired waiver stops waiving, and says so. Read
// like every other file keyprobe takes: YAML with positions → strict zod →
// every problem at once, as file:line:col: field: message.
import { z } from 'zod';
import { isCalendarDay } from '../calendar-day.js';
import { readYamlFile, type YamlSource } from '../config/yaml-source.js';
import { closest, formatPath, issuesToProblems } from '../config/zod-problems.js';
import { ConfigError, type ConfigProblem } from '../errors.js';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const EXPIRY_MESSAGE = 'expected a date like 2026-09-30 or an ISO 8601 date-time with a zone';
const expiry = z
  .string()
  .regex(new RegExp(`${DATE_ONLY.source}|${DATE_TIME.source}`), { message: EXPIRY_MESSAGE })
  .meta({
    description: 'Until when it waives: a date (2026-09-30, waived through that whole day, UTC) or an ISO 8601 date-time with a zone.',
    examples: ['2026-09-30', '2026-09-30T18:00:00Z'],
  })
  .superRefine((v, ctx) => {
    if (!isCalendarDay(v.slice(0, 10)) || Number.isNaN(Date.parse(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v)))
      ctx.addIssue({ code: 'custom', message: `${EXPIRY_MESSAGE}, found "${v}" (no such day)` });
  });

export const waiverSchema = z
  .strictObject({
    rule: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'The audit rule it accepts findings of, e.g. audit.stale-key (keyprobe audit).',
        examples: ['audit.stale-key'],
      }),
    check: z
      .string()
      .min(1)
      .optional()
      .meta({
        description: 'The check whose failure it accepts, e.g. rate.limit-signalled (keyprobe run).',
        examples: ['rate.limit-signalled'],
      }),
    key: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Only this key: its id or name in the audit, the profile key name in a run. Without it, every finding of the rule or check.',
        examples: ['crm-prod-agent-call'],
      }),
    owner: z
      .string()
      .min(1)
      .meta({ description: 'Who accepted it and answers for it (a person or team).', examples: ['crm-platform-team@example.com'] }),
    reason: z
      .string()
      .min(1)
      .meta({
        description: 'Why it is accepted, e.g. a ticket tracking the fix.',
        examples: ['PLAT-1234: the gateway adds Retry-After in the next release'],
      }),
    expires: expiry,
  })
  .superRefine((w, ctx) => {
    if ((w.rule === undefined) === (w.check === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give either "rule" (an audit rule) or "check" (a check of keyprobe run), not both or neither',
      });
  });

export const waiversFileSchema = z.strictObject({
  waivers: z.array(waiverSchema).meta({
    description: 'Each accepted finding or check result, with its owner, reason and expiry.',
    examples: [[{ check: 'rate.limit-signalled', owner: 'crm-platform-team@example.com', reason: 'PLAT-1234', expires: '2026-09-30' }]],
  }),
});

/** One waiver as read, with where it is in its file. */
export interface Waiver {
  readonly kind: 'rule' | 'check';
  /** The rule or check id. */
  readonly target: string;
  readonly key?: string;
  readonly owner: string;
  readonly reason: string;
  /** As written (a date or a date-time), for reports. */
  readonly expires: string;
  /** Waives until this instant (exclusive), epoch ms. */
  readonly until: number;
  readonly file: string;
  readonly line?: number;
}

/** How a report names a waiver: who, why, until when. */
export function describeWaiver(w: Waiver): string {
  return `waived by ${w.owner} until ${w.expires}: ${w.reason}`;
}

export function waiverLabel(w: Waiver): string {
  return `${w.target}${w.key ? ` for ${w.key}` : ''} (${w.file}${w.line ? `:${w.line}` : ''})`;
}

/** The waivers of one file, and which of them matched something in this run. */
export class WaiverSet {
  private readonly used = new Set<Waiver>();
  private readonly byTarget = new Map<string, Waiver[]>();

  constructor(
    readonly file: string,
    readonly waivers: readonly Waiver[],
  ) {
    for (const w of waivers) {
      const list = this.byTarget.get(w.target);
      if (list) list.push(w);
      else this.byTarget.set(w.target, [w]);
    }
  }

  /**
   * The waiver in force for a finding of `target` on a key (by id or name), and
   * an expired one that would have matched. A key-specific waiver wins over a
   * rule-wide one; among equals, the one that lasts longest.
   */
  match(target: string, keyId: string, keyName: string | undefined, now: number): { active?: Waiver; expired?: Waiver } {
    const candidates = this.byTarget.get(target);
    if (!candidates) return {};
    let active: Waiver | undefined;
    let expired: Waiver | undefined;
    for (const w of candidates) {
      if (w.key !== undefined && w.key !== keyId && w.key !== keyName) continue;
      this.used.add(w);
      if (w.until > now) {
        if (!active || (active.key === undefined && w.key !== undefined) || (!!active.key === !!w.key && w.until > active.until))
          active = w;
      } else if (!expired || w.until > expired.until) expired = w;
    }
    return { ...(active ? { active } : {}), ...(expired && !active ? { expired } : {}) };
  }

  expiredAt(now: number): Waiver[] {
    return this.waivers.filter((w) => w.until <= now);
  }

  /** Waivers that matched nothing: stale entries a reviewer should remove. */
  unused(): Waiver[] {
    return this.waivers.filter((w) => !this.used.has(w));
  }
}

/**
 * The ids a waiver may name: the audit rules and the checks. The caller (the
 * CLI) hands them in, so that governance, which the audit uses to apply
 * waivers, imports neither catalogue.
 */
export interface WaiverTargets {
  readonly rules: readonly string[];
  readonly checks: readonly string[];
}

/** Reads and checks a waivers file against the known rule and check ids; every problem at once, located (exit 2). */
export function loadWaivers(file: string, targets: WaiverTargets, label = file): WaiverSet {
  const read = readYamlFile(file);
  if (!read.ok) throw new ConfigError(read.problems.map((p) => ({ ...p, file: label })));
  const source: YamlSource = { ...read.source, file: label };
  const data = source.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new ConfigError([{ file: label, line: 1, column: 1, path: '', message: 'a waivers file is a mapping with a "waivers" list' }]);
  const parsed = waiversFileSchema.safeParse(data);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, { ...source, data }, waiversFileSchema));

  const problems: ConfigProblem[] = [];
  const { rules, checks } = targets;
  const waivers = parsed.data.waivers.map((w, i): Waiver => {
    const kind = w.rule !== undefined ? 'rule' : 'check';
    const target = (w.rule ?? w.check)!;
    const known = kind === 'rule' ? rules : checks;
    if (!known.includes(target)) {
      const guess = closest(target, known);
      const pos = source.locate(['waivers', i, kind]);
      problems.push({
        file: label,
        line: pos?.line,
        column: pos?.column,
        path: formatPath(['waivers', i, kind]),
        message: `unknown ${kind === 'rule' ? 'audit rule' : 'check'} "${target}"${guess ? `; did you mean "${guess}"?` : ''}`,
      });
    }
    const expires = w.expires;
    const dateOnly = DATE_ONLY.test(expires);
    // A date waives through that whole day (UTC).
    const until = dateOnly ? Date.parse(`${expires.slice(0, 10)}T00:00:00Z`) + DAY_MS : Date.parse(expires);
    const line = source.locate(['waivers', i])?.line;
    return {
      kind,
      target,
      ...(w.key !== undefined ? { key: w.key } : {}),
      owner: w.owner,
      reason: w.reason,
      expires,
      until,
      file: label,
      ...(line !== undefined ? { line } : {}),
    };
  });
  if (problems.length) throw new ConfigError(problems);
  return new WaiverSet(label, waivers);
}
