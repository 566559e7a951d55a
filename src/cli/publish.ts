// Everything after a result exists: write every report (one failing reporter
// does not stop the others), the manifest of their digests, then scan every
// file written for every secret the run resolved. Shared by `run`, `demo` and
// `report`.
import { defaultReporters } from '../reporters/index.js';
import { writeManifest } from '../reporters/manifest.js';
import { pdfReporter, DEFAULT_CHROMIUM } from '../reporters/pdf.js';
import type { Reporter } from '../reporters/reporter.js';
import { type OutputRecorder, SecretScanner } from '../reporters/secret-scan.js';
import { writeReports } from '../reporters/write-reports.js';
import type { RunResult } from '../result.js';
import type { CliIo } from './io.js';

export interface PublishOptions {
  readonly pdf?: boolean;
  /** Chromium for --pdf (default /usr/bin/chromium; KEYPROBE_CHROMIUM overrides). */
  readonly chromium?: string;
  /** Leave out results.json (it is the input of `keyprobe report`, already on disk). */
  readonly withoutJson?: boolean;
}

export interface Published {
  readonly files: string[];
  readonly failures: { reporter: string; message: string }[];
  /** Files that hold a secret (named, never the secret). */
  readonly leaks: string[];
}

export function reportersFor(opts: PublishOptions): Reporter[] {
  const reporters = defaultReporters().filter((r) => !(opts.withoutJson && r.name === 'json'));
  if (opts.pdf) reporters.push(pdfReporter({ executablePath: opts.chromium ?? DEFAULT_CHROMIUM }));
  return reporters;
}

export async function publishReports(
  result: RunResult,
  outDir: string,
  secrets: readonly string[],
  opts: PublishOptions,
  extraFiles: readonly string[] = [],
): Promise<Published> {
  const written = await writeReports(result, outDir, reportersFor(opts));
  const files = [...extraFiles, ...written.files];
  const failures = [...written.failures];
  try {
    files.push(await writeManifest(outDir, files));
  } catch (err) {
    failures.push({ reporter: 'manifest', message: (err as Error)?.message ?? String(err) });
  }
  const leaks = await new SecretScanner(secrets).scanFiles(files);
  return { files, failures, leaks };
}

/** The same CLI io, with everything written to stdout and stderr also kept for the secret scan. */
export function recordingIo(io: CliIo, recorder: OutputRecorder): CliIo {
  const wrap = (stream: CliIo['stdout']): CliIo['stdout'] => {
    const wrapped = {
      write: (text: string) => {
        recorder.record(String(text));
        return stream.write(text);
      },
    } as CliIo['stdout'] & { columns?: number };
    // Keep what the console and prompts look at (isTTY, columns) as the real stream has it.
    Object.defineProperty(wrapped, 'isTTY', { get: () => stream.isTTY, enumerable: true });
    Object.defineProperty(wrapped, 'columns', { get: () => (stream as { columns?: number }).columns, enumerable: true });
    return wrapped;
  };
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}
