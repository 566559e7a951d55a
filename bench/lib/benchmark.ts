// What one benchmark is: an id for --only, a title, and a run that returns
// its rows and notes. Each benchmark chooses its own number of runs from
// `ctx.runs` (cheap ones run more often).
import type { BenchmarkReport } from './table.js';

export interface BenchContext {
  /** Repetitions for an expensive measurement (cheap ones multiply it). */
  readonly runs: number;
  /** A scratch folder for this bench run, removed at the end. */
  readonly tmp: string;
  /** One line of progress on stderr. */
  progress(text: string): void;
}

export interface Benchmark {
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<BenchmarkReport>;
}
