// How the runner tells the console (or anyone) what is happening. Every hook
// is optional; a hook that throws is ignored so it cannot sink the run.
import type { CheckResult, ProfileSummary, RunResult } from '../result.js';

export interface RunObserver {
  runStarted?(info: { runId: string; profiles: readonly ProfileSummary[]; checksPerProfile: number }): void;
  checkStarted?(profile: ProfileSummary, check: { id: string; title: string }): void;
  checkProgress?(profile: ProfileSummary, checkId: string, text: string): void;
  checkFinished?(profile: ProfileSummary, result: CheckResult): void;
  runFinished?(result: RunResult): void;
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
    checkStarted: call('checkStarted'),
    checkProgress: call('checkProgress'),
    checkFinished: call('checkFinished'),
    runFinished: call('runFinished'),
  };
}
