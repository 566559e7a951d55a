// Suites: which checks to run, with their parameters and whether each gates
// the launch. Check ids and parameters are validated against the catalogue.
import { z } from 'zod';
import type { AnyCheck } from './check.js';
import { CHECKS, findCheck } from './index.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { readYamlFile } from '../config/yaml-source.js';
import { closest, formatPath, issuesToProblems, kindOf } from '../config/zod-problems.js';

const suiteEntry = z.union([
  z.string().min(1),
  z.strictObject({
    id: z
      .string()
      .min(1)
      .meta({ description: 'The check id (keyprobe list).', examples: ['rate.limit-triggered'] }),
    gating: z
      .boolean()
      .default(true)
      .meta({
        description: 'A failure of a gating check fails the launch (exit 1); a non-gating check is reported only.',
        examples: [false],
      }),
    required: z
      .boolean()
      .default(false)
      .meta({
        description:
          'The launch cannot pass without this check: if it skips (the profile lacks what it needs) or errors, the launch is unverified (exit 3). Implies gating.',
        examples: [true],
      }),
    params: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ description: "The check's parameters (keyprobe list <check-id> shows them).", examples: [{ statuses: [401, 403] }] }),
  }),
]);

export const suiteSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .meta({ description: "The suite's name, shown in reports.", examples: ['prelaunch'] }),
  description: z
    .string()
    .optional()
    .meta({ description: 'What the suite is for.', examples: ['Every check a key must pass before it goes live.'] }),
  checks: z
    .array(suiteEntry)
    .min(1, 'list at least one check')
    .meta({
      description: 'The checks to run, in order: a check id, or { id, gating, required, params }.',
      examples: [['auth.valid-key-accepted', { id: 'rate.limit-triggered', required: true, params: {} }]],
    }),
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
