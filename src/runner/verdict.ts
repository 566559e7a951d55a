// The launch verdict and exit code. A gating failure fails the launch. Short
// of that, the launch is only verified when every gating check gave a verdict,
// every required check ran (a required check that skipped proves nothing) and
// every cleanup was done and seen to hold (the target is left as found), or
// sent and acknowledged where no probe can tell (`sent`: shown, not gating).
import { EXIT } from '../errors.js';
import {
  type CheckResult,
  type CleanupRecord,
  type LaunchVerdict,
  leftTargetChanged,
  type ProfileSource,
  type RunResult,
} from '../result.js';

/** What the launch verdict reads of a check. */
export type VerdictInput = Pick<CheckResult, 'gating' | 'verdict' | 'required'>;

export function launchVerdict(
  checks: readonly VerdictInput[],
  incomplete: boolean,
  cleanup: readonly CleanupRecord[] = [],
): { verdict: LaunchVerdict; exitCode: number } {
  // Required implies gating (the suite loader refuses `required` without it); a failure that
  // --waivers or --baseline accepted stops gating (governance/run-acceptance.ts), required or not.
  const gating = checks.filter((c) => c.gating);
  if (gating.some((c) => c.verdict === 'fail')) return { verdict: 'fail', exitCode: EXIT.fail };
  const unverified =
    incomplete ||
    gating.some((c) => c.verdict === 'error') ||
    checks.some((c) => c.required && c.verdict === 'skip') ||
    // A cleanup that was sent but cannot be probed (`sent`) is shown in every report, but does not gate.
    cleanup.some(leftTargetChanged);
  if (unverified) return { verdict: 'error', exitCode: EXIT.unverified };
  return { verdict: 'pass', exitCode: EXIT.pass };
}

/**
 * The verdict a run's own checks and cleanups give, whatever verdict it
 * carries: `merge` and `report` recompute it, so a results.json edited to say
 * PASS cannot render PASS over failing gating checks, a required check that
 * skipped, or a cleanup that left the target changed.
 */
export function verdictOf(run: Pick<RunResult, 'profiles' | 'incomplete' | 'cleanup'>): { verdict: LaunchVerdict; exitCode: number } {
  return launchVerdict(
    run.profiles.flatMap((p) => p.checks),
    run.incomplete,
    run.cleanup?.records ?? [],
  );
}

/** Why a launch that did not fail is still not verified, one line each, for every report to say the same. */
export function notVerifiedReasons(result: Pick<RunResult<ProfileSource>, 'profiles' | 'incomplete' | 'cleanup'>): string[] {
  const many = result.profiles.length > 1;
  const reasons: string[] = [];
  if (result.incomplete) reasons.push('the run was interrupted: results are incomplete');
  for (const p of result.profiles) {
    const who = many ? `[${p.profile.keyName}] ` : '';
    // (A required check that errored is listed with the other errors; a skip would pass unnoticed.)
    for (const c of p.checks)
      if (c.required && c.verdict === 'skip') reasons.push(`${who}required check ${c.id} did not run: ${c.message}`);
  }
  const cleanups = (result.cleanup?.records ?? []).filter(leftTargetChanged);
  if (cleanups.length > 0)
    reasons.push(`${cleanups.length} cleanup${cleanups.length === 1 ? '' : 's'} left the target changed (see the cleanup block)`);
  return reasons;
}

/** The words for the launch verdict: PASS, FAIL, NOT VERIFIED. */
export function verdictWord(verdict: LaunchVerdict): string {
  return verdict === 'error' ? 'NOT VERIFIED' : verdict.toUpperCase();
}

export function explainExitCode(code: number): string {
  switch (code) {
    case EXIT.pass:
      return 'exit 0: every gating check passed';
    case EXIT.fail:
      return 'exit 1: a gating check failed — the key does not behave as required';
    case EXIT.usage:
      return 'exit 2: bad usage, or a bad profile or suite';
    case EXIT.unverified:
      return 'exit 3: nothing failed, but the launch could not be verified';
    case EXIT.secretLeak:
      return 'exit 4: a secret was found in an output file';
    default:
      return `exit ${code}`;
  }
}
