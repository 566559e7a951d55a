// `keyprobe diff <old> <new>`: what changed between two runs (results.json)
// or two audits (findings.json, or their report directories). Prints a
// summary and writes diff.md and diff.json. It reports; it does not gate
// (exit 0) — to gate on regressions, give the old run as --baseline with
// --fail-on new. Exit 2 for inputs it cannot read or compare.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, EXIT, UsageError, type ConfigProblem } from '../../errors.js';
import { readReportDoc, type ReportDoc } from '../../governance/baseline.js';
import { DEFAULT_THRESHOLD_PERCENT, diffMarkdown, diffReports, diffText } from '../../governance/diff.js';
import type { CliIo } from '../io.js';

export interface DiffOptions {
  readonly out?: string;
  readonly threshold?: string;
  readonly quiet?: boolean;
}

export function diffCommand(io: CliIo) {
  return async (oldInput: string, newInput: string, opts: DiffOptions): Promise<number> => {
    const threshold = parseThreshold(opts.threshold);
    const problems: ConfigProblem[] = [];
    const read = (input: string): ReportDoc | undefined => {
      try {
        return readReportDoc(resolve(io.cwd, input), input);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
        return undefined;
      }
    };
    const a = read(oldInput);
    const b = read(newInput);
    if (problems.length || !a || !b) throw new ConfigError(problems);
    if (a.kind !== b.kind) {
      const name = (d: ReportDoc) => (d.kind === 'run' ? 'a run (results.json)' : 'an audit (findings.json)');
      throw new UsageError(`compare like with like: the first is ${name(a)}, the second ${name(b)}`);
    }
    const diff = diffReports(a, b, threshold);
    const outDir = resolve(io.cwd, opts.out ?? join('reports', `diff-${b.doc.runId}`));
    await mkdir(outDir, { recursive: true });
    const files = [join(outDir, 'diff.md'), join(outDir, 'diff.json')];
    await writeFile(files[0]!, `${diffMarkdown(diff)}\n`, 'utf8');
    await writeFile(files[1]!, `${JSON.stringify(diff, null, 1)}\n`, 'utf8');
    if (!opts.quiet) io.stdout.write(diffText(diff));
    io.stdout.write(`Written: ${files.join(', ')}\n`);
    return EXIT.pass;
  };
}

function parseThreshold(text: string | undefined): number {
  if (text === undefined) return DEFAULT_THRESHOLD_PERCENT;
  const n = Number(text.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--threshold must be a percentage such as 20 (or 20%), got "${text}"`);
  return n;
}
