// Finished checks and profiles wait on disk, not in memory (issue #15: a
// thousand keys in a minute under 500 MB). Each check's result is appended to
// one JSON lines file as soon as the check finishes (putCheck), and its
// profile's run, without the checks, when the profile finishes (put): a
// check's evidence (every exchange it made) is held only while the check
// runs, not while the rest of its profile waits on revocation and rate
// windows. The spool remembers where each line is, so the run is read back in
// profile order, each profile with its checks in plan order, however they
// finished.
//
// The spool holds what results.json will hold (already redacted), in a folder
// the caller creates and removes after publishing. It is also how the
// reporters read the finished run (a ProfileSource, src/result.ts): each
// profile is parsed again when a reporter asks for it, and let go after.
import { join } from 'node:path';
import { RecordFile, type Span } from '../record-file.js';
import type { CheckResult, ProfileRun, ProfileSource } from '../result.js';

/** Where a line is in the file: its byte offset and length (with its line break). */
type Line = Span;

/** The spool file's name inside the folder it is given. */
export const SPOOL_FILE = 'profiles.jsonl';

export class ProfileSpool implements ProfileSource {
  readonly file: string;
  private readonly records: RecordFile;
  /** Where profile i's line is, and its checks' lines when they were put one by one. */
  private readonly lines = new Map<number, { run: Line; checks: readonly Line[] }>();
  /** The checks of profiles still running, by position in the plan. */
  private readonly running = new Map<number, Line[]>();
  /** The profile indices in order, once asked for (a put clears it). */
  private order: number[] | undefined;

  constructor(folder: string) {
    this.file = join(folder, SPOOL_FILE);
    this.records = new RecordFile(this.file);
  }

  /** How many profiles are on disk (as a ProfileSource: the number of profiles). */
  get length(): number {
    return this.lines.size;
  }

  /** The profile at `position` in profile order (negative counts from the end, as Array.at does). */
  at(position: number): ProfileRun | undefined {
    const order = this.indices();
    const index = order[position < 0 ? position + order.length : position];
    return index === undefined ? undefined : this.get(index);
  }

  [Symbol.iterator](): Iterator<ProfileRun> {
    return this.runs();
  }

  /**
   * Appends the result of profile `profile`'s check at `position` in its plan; the caller need not keep it.
   * `json` is the result already serialized (a worker thread sends it so: src/runner/shards.ts).
   */
  putCheck(profile: number, position: number, result: CheckResult, json?: string): void {
    if (this.lines.has(profile)) throw new Error(`profile ${profile} is already in the spool`);
    const checks = this.running.get(profile) ?? [];
    if (checks[position]) throw new Error(`check ${position} of profile ${profile} is already in the spool`);
    checks[position] = json === undefined ? this.append(result) : this.records.append(`${json}\n`);
    this.running.set(profile, checks);
  }

  /**
   * Appends profile `index`'s run; the caller need not keep it. When its checks
   * were put one by one (putCheck), `run.checks` is empty and they are its checks.
   */
  put(index: number, run: ProfileRun): void {
    if (this.lines.has(index)) throw new Error(`profile ${index} is already in the spool`);
    const checks = this.running.get(index) ?? [];
    if (checks.length > 0 && run.checks.length > 0) throw new Error(`profile ${index} has checks both in the spool and in its run`);
    for (let i = 0; i < checks.length; i++) if (!checks[i]) throw new Error(`check ${i} of profile ${index} is not in the spool`);
    this.lines.set(index, { run: this.append(run), checks });
    this.running.delete(index);
    this.order = undefined;
  }

  /** Profile `index`'s run, read back from disk. */
  get(index: number): ProfileRun {
    const at = this.lines.get(index);
    if (!at) throw new Error(`profile ${index} is not in the spool`);
    const run = this.read<{ -readonly [K in keyof ProfileRun]: ProfileRun[K] }>(at.run, index);
    // Assigned in place, so `checks` keeps its place among the fields (results.json writes them in this order).
    if (at.checks.length > 0) run.checks = at.checks.map((line) => this.read<CheckResult>(line, index));
    return run;
  }

  private append(value: unknown): Line {
    // One JSON document a line (JSON.parse reads past the line break).
    return this.records.append(`${JSON.stringify(value)}\n`);
  }

  private read<T>(at: Line, index: number): T {
    return JSON.parse(this.records.read(at, `profile ${index}`)) as T;
  }

  /** Every profile's run in profile order (0, 1, …), one at a time. */
  *runs(): Generator<ProfileRun> {
    for (const i of this.indices()) yield this.get(i);
  }

  private indices(): number[] {
    this.order ??= [...this.lines.keys()].sort((a, b) => a - b);
    return this.order;
  }

  close(): void {
    this.records.close();
  }
}
