// Calls every reporter in its own try/catch and RECORDS what failed (after
// Playwright's multiplexer): one broken reporter must not sink the run or the
// other reporters, and must not pass unnoticed either — a failure here makes a
// passing run exit 3, naming the reporter. It is also the thin adapter from
// the runner's observer hooks (runner/observer.ts) to the reporters' live hooks.
import type { ProfileSource, RunResult } from '../result.js';
import type { RunObserver } from '../runner/observer.js';
import type { PublishedRun, Reporter } from './reporter.js';
import { writeReports } from './write-reports.js';

export interface ReporterFailure {
  readonly reporter: string;
  readonly message: string;
}

type LiveHook = 'onRunBegin' | 'onPreflightEnd' | 'onCheckBegin' | 'onCheckProgress' | 'onCheckEnd' | 'onRunEnd';

export class Multiplexer {
  private readonly failed: ReporterFailure[] = [];
  /** A hook that throws on every check is recorded once. */
  private readonly seen = new Set<string>();

  constructor(readonly reporters: readonly Reporter[]) {}

  /** Failures of live hooks and of onPublished so far (file writing reports its own, see `write`). */
  get failures(): readonly ReporterFailure[] {
    return this.failed;
  }

  /** The runner's observer: each event goes to every reporter's live hook. */
  observer(): RunObserver {
    return {
      runStarted: (info) => this.live('onRunBegin', info),
      preflightFinished: (profile, preflight) => this.live('onPreflightEnd', profile, preflight),
      checkStarted: (profile, check) => this.live('onCheckBegin', profile, check),
      checkProgress: (profile, id, text) => this.live('onCheckProgress', profile, id, text),
      checkFinished: (profile, result) => this.live('onCheckEnd', profile, result),
      runFinished: (result) => this.live('onRunEnd', result),
    };
  }

  /** The run was cut short by an error: live views stop. */
  runAborted(): void {
    this.live('onRunEnd');
  }

  /** Every reporter that writes files, into `outDir`; a reporter that throws is named in `failures`. */
  write(result: RunResult<ProfileSource>, outDir: string) {
    return writeReports(result, outDir, this.reporters);
  }

  async published(result: RunResult<ProfileSource>, published: PublishedRun): Promise<void> {
    for (const r of this.reporters) {
      if (!r.onPublished) continue;
      try {
        await r.onPublished(result, published);
      } catch (err) {
        this.record(r, 'onPublished', err);
      }
    }
  }

  private live(hook: LiveHook, ...args: unknown[]): void {
    for (const r of this.reporters) {
      const fn = r[hook] as ((...a: unknown[]) => void) | undefined;
      if (fn) this.guard(r, hook, () => fn.apply(r, args));
    }
  }

  private guard<T>(r: Reporter, hook: string, body: () => T): T | undefined {
    try {
      return body();
    } catch (err) {
      this.record(r, hook, err);
      return undefined;
    }
  }

  private record(r: Reporter, hook: string, err: unknown): void {
    const key = `${r.name}\n${hook}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.failed.push({ reporter: r.name, message: `${hook}: ${(err as Error)?.message ?? String(err)}` });
  }
}
