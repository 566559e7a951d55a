// `keyprobe report <results.json>`: renders junit.xml, report.html (and with
// --pdf report.pdf) again from a stored result, with a fresh manifest. Exits
// with the stored run's exit code, so a pipeline can gate on a kept result.
import { basename, dirname, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { painter, summary, useColor } from '../../reporters/console.js';
import { readResults } from '../../reporters/results-file.js';
import type { CliIo } from '../io.js';
import { checkOutDir, publishReports } from '../publish.js';

export interface ReportOptions {
  readonly out?: string;
  readonly pdf?: boolean;
  readonly quiet?: boolean;
}

export function reportCommand(io: CliIo) {
  return async (input: string, opts: ReportOptions): Promise<number> => {
    let file = resolve(io.cwd, input);
    if (isDirectory(file)) file = join(file, 'results.json');
    const result = await readResults(file);
    const outDir = await checkOutDir(io.cwd, opts.out, dirname(file));
    // The manifest covers results.json too (published with the rest), so the directory stays one verifiable set.
    // A stored result holds no secrets to look for (keys are fingerprints); the scan runs with none.
    const published = await publishReports(result, outDir, [], { pdf: opts.pdf, chromium: io.env.KEYPROBE_CHROMIUM, withoutJson: true }, [
      { from: file, name: 'results.json' },
    ]);
    for (const f of published.failures) io.stderr.write(`keyprobe: the ${f.reporter} report could not be written: ${f.message}\n`);
    if (!opts.quiet) {
      const names = published.files.map((f) => basename(f)).join(', ');
      io.stdout.write(`Rendered run ${result.runId} into ${outDir}: ${names}\n`);
    }
    // A report that could not be written leaves a passing result not fully on record: exit 3.
    const exitCode = published.failures.length > 0 && result.exitCode === 0 ? 3 : result.exitCode;
    io.stdout.write(summary(result, exitCode, painter(useColor(io.stdout, io.env))));
    return exitCode;
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
