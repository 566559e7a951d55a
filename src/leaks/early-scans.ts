// Starts the leak scan of each report the moment it is written (issue #15):
// a large file goes to the worker threads at once, and is searched there
// while the main thread renders the next report; a small one is searched on
// the main thread when withholdLeaks asks for it, as it always was, so a
// small run (the demo, most tests) never pays for starting a thread.
// withholdLeaks still asks for the files in order and acts on each answer in
// that order: what it withholds, and why, does not depend on who searched.
import { stat } from 'node:fs/promises';
import type { LeakFinding, LeakScanner } from './scanner.js';
import { ScanWorkers, type ScanWorkerOptions } from './scan-workers.js';

export interface EarlyScanOptions extends ScanWorkerOptions {
  /** Files of at least this many bytes are searched on worker threads (0: every file, for tests). */
  readonly workerMinBytes?: number;
}

/**
 * A file of 4 MiB takes ~0.13 s of CPU to search (a 31.7 MB results.json
 * took 1.0 s); a worker took 50-110 ms from its start to its first answer
 * with a hundred secrets to build its scanner from, 0.14-0.38 s with 2,000
 * (measured at load ~11): below that size the main thread is as quick. A
 * 20-profile run's largest report (results.json) is ~3.2 MB.
 */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;
const WARM_UP_PROFILES = 25;

export class EarlyScans {
  /** The files whose scan has started (or that were found small), by path. */
  private readonly started = new Map<string, Promise<LeakFinding[] | undefined>>();
  private workers: ScanWorkers | undefined;
  private readonly minBytes: number;

  constructor(
    private readonly scanner: LeakScanner,
    private readonly opts: EarlyScanOptions = {},
  ) {
    this.minBytes = opts.workerMinBytes ?? WORKER_MIN_BYTES;
  }

  /** How many secrets are searched for (withholdLeaks does nothing without one). */
  get size(): number {
    return this.scanner.size;
  }

  /**
   * A run this large (in profiles) writes reports the worker threads will
   * scan: they start now, so their start-up overlaps the first report's
   * rendering. 25 profiles write a results.json of about WORKER_MIN_BYTES.
   */
  expectProfiles(profiles: number): void {
    if (this.scanner.size > 0 && profiles >= WARM_UP_PROFILES) this.onWorkers().warmUp();
  }

  /** Files just written: a large one starts its scan on the worker threads now. */
  written(files: readonly string[]): void {
    if (this.scanner.size === 0) return;
    for (const file of files) {
      const scan = stat(file).then((s) => (s.size >= this.minBytes ? this.onWorkers().scanFile(file) : undefined));
      // Its failure is met when withholdLeaks asks for the file; until then it is not an unhandled rejection.
      scan.catch(() => undefined);
      this.started.set(file, scan);
    }
  }

  /**
   * The file's findings: from the scan started when it was written, or
   * searched now on this thread. Asked for once every report is written, so
   * this thread first helps the workers with the parts still waiting.
   */
  async scanFile(file: string): Promise<LeakFinding[]> {
    await this.workers?.helpOnThisThread();
    return (await this.started.get(file)) ?? this.scanner.scanFile(file);
  }

  /** Stops the worker threads, if any were started. */
  async close(): Promise<void> {
    await this.workers?.close();
  }

  private onWorkers(): ScanWorkers {
    this.workers ??= new ScanWorkers(this.scanner, this.opts);
    return this.workers;
  }
}
