// The launch verdict and exit code, from the gating checks only.
import { EXIT } from '../errors.js';
import type { CheckResult, LaunchVerdict, RunResult } from '../result.js';

export function launchVerdict(checks: readonly CheckResult[], incomplete: boolean): { verdict: LaunchVerdict; exitCode: number } {
  const gating = checks.filter((c) => c.gating);
  if (gating.some((c) => c.verdict === 'fail')) return { verdict: 'fail', exitCode: EXIT.fail };
  if (incomplete || gating.some((c) => c.verdict === 'error')) return { verdict: 'error', exitCode: EXIT.unverified };
  return { verdict: 'pass', exitCode: EXIT.pass };
}

/**
 * The verdict a run's own checks give, whatever verdict it carries: `merge`
 * and `report` recompute it, so a results.json edited to say PASS cannot
 * render PASS over failing gating checks.
 */
export function verdictOf(run: Pick<RunResult, 'profiles' | 'incomplete'>): { verdict: LaunchVerdict; exitCode: number } {
  return launchVerdict(
    run.profiles.flatMap((p) => p.checks),
    run.incomplete,
  );
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
      return 'exit 3: nothing failed, but a gating check could not be verified';
    case EXIT.secretLeak:
      return 'exit 4: a secret was found in an output file';
    default:
      return `exit ${code}`;
  }
}
