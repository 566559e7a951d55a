// Every reporter keyprobe has, by the name `--reporter` takes. A new format
// is one file plus one line here. Each is made from options the CLI resolved
// once (its one environment-reading place): reporters never read the
// environment themselves.
import { type ConsoleOptions, consoleReporter } from './console.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { DEFAULT_CHROMIUM, pdfReporter } from './pdf.js';
import type { FileReporter, Reporter } from './reporter.js';

export interface ReporterOptions {
  readonly console: ConsoleOptions;
  /** Chromium for the pdf reporter. */
  readonly chromium?: string;
  /** $GITHUB_STEP_SUMMARY, for the markdown reporter. */
  readonly stepSummary?: string;
}

export const REPORTERS = {
  console: (o: ReporterOptions): Reporter => consoleReporter(o.console),
  json: (): Reporter => jsonReporter,
  junit: (): Reporter => junitReporter,
  html: (): Reporter => htmlReporter,
  markdown: (o: ReporterOptions): Reporter => markdownReporter({ stepSummary: o.stepSummary }),
  pdf: (o: ReporterOptions): Reporter => pdfReporter({ executablePath: o.chromium ?? DEFAULT_CHROMIUM }),
} as const;

export type ReporterName = keyof typeof REPORTERS;
export const REPORTER_NAMES = Object.keys(REPORTERS) as ReporterName[];

/** What a launch run (run, demo) writes without --reporter. */
export const RUN_DEFAULT_REPORTERS: readonly ReporterName[] = ['console', 'json', 'junit', 'html'];

export function makeReporters(names: readonly ReporterName[], opts: ReporterOptions): Reporter[] {
  return names.map((n) => REPORTERS[n](opts));
}

/** The file reporters of a launch run, in order (json, junit, html). */
export function defaultReporters(): FileReporter[] {
  return [jsonReporter, junitReporter, htmlReporter];
}
