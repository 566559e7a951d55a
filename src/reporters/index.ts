// The reporters a run writes, in order. A new format is one file plus one line here.
import { jsonReporter } from './json.js';
import type { Reporter } from './reporter.js';

export function defaultReporters(): Reporter[] {
  return [jsonReporter];
}
