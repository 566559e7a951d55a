// Suites: which checks to run, with their parameters and whether each gates
// the launch. Check ids and parameters are validated against the catalogue.
import { z } from 'zod';
import type { AnyCheck } from '../checks/check.js';
import { CHECKS, findCheck } from '../checks/index.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { readYamlFile } from './yaml-source.js';
import { closest, formatPath, issuesToProblems, kindOf } from './zod-problems.js';

const suiteEntry = z.union([
  z.string().min(1),
  z.strictObject({
    id: z.string().min(1),
    /** A failure of a gating check fails the launch; others are reported only. */
    gating: z.boolean().default(true),
    /** The launch cannot pass without this check: if it skips or errors, the launch is unverified (exit 3). Implies gating. */
    required: z.boolean().default(false),
    params: z.record(z.string(), z.unknown()).default({}),
  }),
]);

export const suiteSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  checks: z.array(suiteEntry).min(1, 'list at least one check'),
});

export interface PlannedCheck {
  readonly check: AnyCheck;
  readonly gating: boolean;
  /** Must run: a skip or an error leaves the launch unverified. */
  readonly required?: boolean;
  readonly params: unknown;
}

export interface LoadedSuite {
  readonly name: string;
  readonly file: string;
  readonly checks: readonly PlannedCheck[];
}

export function loadSuite(file: string): LoadedSuite {
  const read = readYamlFile(file);
  if (!read.ok) throw new ConfigError(read.problems);
  const { source } = read;
  if (source.data === null || source.data === undefined)
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: 'the suite is empty' }]);
  if (typeof source.data !== 'object' || Array.isArray(source.data))
    throw new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: `expected a suite: a mapping with a name and a list of checks (e.g. suites/prelaunch.yaml); found ${kindOf(source.data)}`,
      },
    ]);
  const parsed = suiteSchema.safeParse(source.data);
  if (!parsed.success) throw new ConfigError(issuesToProblems(parsed.error.issues, source, suiteSchema));
  const problems: ConfigProblem[] = [];
  const planned: PlannedCheck[] = [];
  const seen = new Set<string>();
  parsed.data.checks.forEach((entry, i) => {
    const { id, gating, required, params } = typeof entry === 'string' ? { id: entry, gating: true, required: false, params: {} } : entry;
    const idPath = typeof entry === 'string' ? ['checks', i] : ['checks', i, 'id'];
    const locate = (path: PropertyKey[]) => source.locate(path);
    const check = findCheck(id);
    if (!check) {
      const pos = locate(idPath);
      const guess = closest(
        id,
        CHECKS.map((c) => c.id),
      );
      problems.push({
        file,
        line: pos?.line,
        column: pos?.column,
        path: formatPath(idPath),
        message: `unknown check "${id}"${guess ? `; did you mean "${guess}"?` : ''}; valid checks: ${CHECKS.map((c) => c.id).join(', ')}`,
      });
      return;
    }
    if (seen.has(id)) {
      const pos = locate(idPath);
      problems.push({ file, line: pos?.line, column: pos?.column, path: formatPath(idPath), message: `check "${id}" is listed twice` });
      return;
    }
    seen.add(id);
    if (required && !gating) {
      const pos = locate(['checks', i, 'gating']);
      problems.push({
        file,
        line: pos?.line,
        column: pos?.column,
        path: formatPath(['checks', i, 'gating']),
        message: `check "${id}" is required, so it gates the launch: drop \`gating: false\` or \`required: true\``,
      });
      return;
    }
    const p = check.params.safeParse(params);
    if (!p.success) {
      const prefix = ['checks', i, 'params'];
      const shifted = p.error.issues.map((iss) => ({ ...iss, path: [...prefix, ...iss.path] }));
      problems.push(...issuesToProblems(shifted, source, z.strictObject({ checks: z.array(z.strictObject({ params: check.params })) })));
      return;
    }
    planned.push({ check, gating, required, params: p.data });
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return { name: parsed.data.name, file, checks: planned };
}

/** A suite of every check with its default parameters, for tests and benchmarks (no command offers it). */
export function suiteOfAllChecks(): LoadedSuite {
  return {
    name: 'all',
    file: '(built in)',
    checks: CHECKS.map((check) => ({ check, gating: true, required: false, params: check.params.parse({}) })),
  };
}
