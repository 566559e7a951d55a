// The key practices a security reviewer signs off on, and which checks give
// the evidence for each: a check result names its practice (`practice`, from
// the check's definition); a practice no check of this run covers says so.
import type { CheckResult, PracticeName } from '../result.js';

export interface Practice {
  readonly name: PracticeName;
  readonly means: string;
}

export const PRACTICES: readonly Practice[] = [
  {
    name: 'Naming',
    means: 'The key is named <system>-<env>-<purpose>, so anyone can tell whose it is and what for.',
  },
  { name: 'Per-environment keys', means: 'One key per environment; keys of other environments are refused.' },
  { name: 'Least privilege', means: 'The key is granted only what its allowed resources need; no wildcards.' },
  {
    name: 'Reverse validation',
    means:
      'Refused wherever it must be: no key, a wrong or near-miss key, a key in the URL, a resource it may not reach, a disabled or expired key, a key over its rate limit.',
  },
  {
    name: 'Rotation and reclamation',
    means: 'The key can be rotated (the old one dies after the grace period); it has an owner and an expiry.',
  },
];

/**
 * met: every check behind it passed on observed behaviour · not met: one failed ·
 * not verified: one was skipped or could not be verified · declared, not
 * observed: every check passed, but at least one judged only what the profile
 * declares (e.g. scopes without introspection) · not covered: no check of this run.
 */
export type PracticeStatus = 'met' | 'not met' | 'not verified' | 'declared, not observed' | 'not covered';

export interface PracticeRow {
  readonly practice: Practice;
  readonly checks: readonly CheckResult[];
  readonly status: PracticeStatus;
}

export function practiceRows(checks: readonly CheckResult[]): PracticeRow[] {
  const byPractice = new Map<Practice, CheckResult[]>(PRACTICES.map((p) => [p, []]));
  for (const c of checks) {
    const practice = PRACTICES.find((p) => p.name === c.practice);
    if (practice) byPractice.get(practice)!.push(c);
  }
  return PRACTICES.map((practice) => {
    const mine = byPractice.get(practice)!;
    return { practice, checks: mine, status: statusOf(mine) };
  });
}

function statusOf(checks: readonly CheckResult[]): PracticeStatus {
  const tally = new PracticeTally();
  for (const c of checks) tally.add(c);
  return tally.status;
}

/** A practice's status, gathered one check at a time (a report read profile by profile never holds them all). */
export class PracticeTally {
  count = 0;
  private failed = false;
  private unverified = false;
  private declared = false;

  add(c: Pick<CheckResult, 'verdict' | 'basis'>): void {
    this.count++;
    if (c.verdict === 'fail') this.failed = true;
    if (c.verdict !== 'pass') this.unverified = true;
    if (c.basis === 'declared') this.declared = true;
  }

  get status(): PracticeStatus {
    if (this.count === 0) return 'not covered';
    if (this.failed) return 'not met';
    if (this.unverified) return 'not verified';
    if (this.declared) return 'declared, not observed';
    return 'met';
  }
}
