// The reporters a run writes, in order. A new format is one file plus one line here.
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import type { Reporter } from './reporter.js';

export function defaultReporters(): Reporter[] {
  return [jsonReporter, junitReporter, htmlReporter];
}
