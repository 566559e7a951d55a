// A reporter turns a finished RunResult into one file. Reporters see only the
// result (already redacted), never the network or the environment.
import type { RunResult } from '../result.js';

export interface Reporter {
  readonly name: string;
  /** Writes its file(s) into `outDir`; returns the paths written. */
  write(result: RunResult, outDir: string): Promise<string[]>;
}
