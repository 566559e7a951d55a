// How the runner tells the console (or anyone) what is happening. Every hook
// is optional; a hook that throws is ignored so it cannot sink the run.
import type { CheckResult, Preflight, ProfileSource, ProfileSummary, RunResult } from '../result.js';

export interface RunObserver {
  runStarted?(info: { runId: string; profiles: readonly ProfileSummary[]; checksPerProfile: number }): void;
  /** Called when a profile's preflight found the target unreachable: none of its checks will run. */
  preflightFinished?(profile: ProfileSummary, preflight: Preflight): void;
  checkStarted?(profile: ProfileSummary, check: { id: string; title: string }): void;
  checkProgress?(profile: ProfileSummary, checkId: string, text: string): void;
  checkFinished?(profile: ProfileSummary, result: CheckResult): void;
  runFinished?(result: RunResult<ProfileSource>): void;
}

export function safeObserver(o: RunObserver | undefined): Required<RunObserver> {
  const call =
    <K extends keyof RunObserver>(k: K) =>
    (...args: Parameters<NonNullable<RunObserver[K]>>) => {
      try {
        (o?.[k] as ((...a: unknown[]) => void) | undefined)?.(...args);
      } catch {
        // A broken observer must not change the run's outcome.
      }
    };
  return {
    runStarted: call('runStarted'),
    preflightFinished: call('preflightFinished'),
    checkStarted: call('checkStarted'),
    checkProgress: call('checkProgress'),
    checkFinished: call('checkFinished'),
    runFinished: call('runFinished'),
  };
}
