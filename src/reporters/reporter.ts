// The one Reporter model (after Playwright Test's Reporter): optional live
// hooks the runner feeds while checks run, an optional `write` that renders
// the finished result into files, and `onPublished` once the files are in
// place and the exit code is known. Every reporter is one file plus one line
// in index.ts. Reporters see only the result (already redacted) and the
// options the CLI resolved for them, never the network or the environment.
// The multiplexer (multiplexer.ts) calls each in its own try/catch and
// records a failure: a failing reporter makes a passing run exit 3, naming it.
import type { CheckResult, Preflight, ProfileRun, ProfileSource, ProfileSummary, RunResult } from '../result.js';

export interface RunBeginInfo {
  readonly runId: string;
  readonly profiles: readonly ProfileSummary[];
  readonly checksPerProfile: number;
}

/** What publishing did, for the reporters that speak after it (the console's summary, a CI step summary). */
export interface PublishedRun {
  /** The final exit code (a leak found while publishing makes it 4, a report not written 3). */
  readonly exitCode: number;
  readonly outDir: string;
  /** The files now in the report folder. */
  readonly files: readonly string[];
  /** Lines a governance step (baseline, waivers) wants said before the summary. */
  readonly explanation?: readonly string[];
  /** Goes right under the verdict line (governance: what it left out). */
  readonly verdictNote?: string;
}

export interface Reporter {
  readonly name: string;
  /** True when it prints to the terminal (the console); a command with no such reporter prints only what it must. */
  printsToStdio?(): boolean;
  onRunBegin?(info: RunBeginInfo): void;
  /** A profile's preflight found the target unreachable: none of its checks will run. */
  onPreflightEnd?(profile: ProfileSummary, preflight: Preflight): void;
  onCheckBegin?(profile: ProfileSummary, check: { readonly id: string; readonly title: string }): void;
  onCheckProgress?(profile: ProfileSummary, checkId: string, text: string): void;
  onCheckEnd?(profile: ProfileSummary, result: CheckResult): void;
  /** The run is over (live views stop here), or cut short by an error (no result); the files are not written yet. */
  onRunEnd?(result?: RunResult<ProfileSource>): void;
  /**
   * Writes its file(s) into `outDir` (a staging folder: the leak scan and the manifest follow); returns the paths written.
   * The profiles may be on disk (a run's spool): read them one at a time, as often as needed, and write as you go
   * (writeText in write-text.ts), so a run of a thousand profiles is never one string or one object in memory.
   */
  write?(result: RunResult<ProfileSource>, outDir: string): Promise<string[]>;
  /**
   * For a file that cannot begin before every profile was read (junit.xml's totals come first, report.html's
   * failures): the same file as `write`, its profiles handed over by writeReports, which reads each profile once
   * for every such reporter in a row (write-reports.ts). A run's spool parses a profile again at every read.
   */
  pass?(result: RunResult<ProfileSource>, outDir: string): ProfilePass;
  /** The reports are in place and the exit code is final. */
  onPublished?(result: RunResult<ProfileSource>, published: PublishedRun): void | Promise<void>;
}

/** A file reporter's first pass over the profiles: what it renders of each waits (on a shelf on disk) until it writes. */
export interface ProfilePass {
  /** Renders the next profile (they come in profile order, each once). */
  add(run: ProfileRun): void;
  /** Every profile was added: writes the file(s) and returns their paths. */
  write(): Promise<string[]>;
  /** Lets go of what waits to be written (a shelf file), whether it was written or not. */
  close(): void;
}

/** A reporter that renders files (JSON, JUnit, HTML, …). */
export type FileReporter = Reporter & Required<Pick<Reporter, 'write'>>;
