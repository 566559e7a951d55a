// `keyprobe validate`: checks profiles and suites without sending anything.
// A profile is also checked against a suite (--suite, default prelaunch, as
// `run` has it): which checks will run, which will skip and why, and — the
// point — every requirement of a required check the profile cannot meet, all
// at once and located, from the checks' own rules (Check.unmet). A profile
// that cannot meet a required check does not validate "ok": exit 3, the code
// `run` would end with (nothing is wrong with the file; the launch it sets up
// could not be verified). A broken file is exit 2, as before.
import { resolve } from 'node:path';
import type { Unmet } from '../../checks/requirements.js';
import { checkProfileFile, resolveProfileReferences, type ProfileOptions } from '../../config/load-profile.js';
import { profileSchema, SECRET_REFERENCE, type Profile } from '../../config/profile-schema.js';
import { loadSuite, type LoadedSuite, type PlannedCheck } from '../../checks/suite.js';
import { readYamlFile, type YamlSource } from '../../config/yaml-source.js';
import { formatPath } from '../../config/zod-problems.js';
import { ConfigError, EXIT, formatProblem, type ConfigProblem } from '../../errors.js';
import { resolveSuitePath } from '../../paths.js';
import type { CliIo } from '../io.js';
import { operatorPolicy, type OperatorOptions } from '../operator.js';

interface PlanEntry {
  readonly planned: PlannedCheck;
  readonly unmet: readonly Unmet[];
}

export function validateCommand(io: CliIo) {
  return async (files: string[], opts: OperatorOptions & { resolve?: boolean; suite?: string }): Promise<number> => {
    const policy = operatorPolicy(opts, io);
    const problems: ConfigProblem[] = [];
    const unmetProblems: ConfigProblem[] = [];
    let suite: LoadedSuite | undefined;
    // Without --suite: the one suite file named alongside the profiles, else prelaunch (as `run` has it).
    const suiteArgs = files.filter((f) => isSuiteFile(resolve(io.cwd, f)));
    const suiteFile = opts.suite
      ? resolveSuitePath(opts.suite, io.cwd)
      : suiteArgs.length === 1
        ? resolve(io.cwd, suiteArgs[0]!)
        : resolveSuitePath('prelaunch', io.cwd);
    try {
      suite = loadSuite(suiteFile);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    for (const f of files) {
      const file = resolve(io.cwd, f);
      const found = validateOne(file, opts.resolve === true, io.env, policy);
      problems.push(...found.problems);
      for (const note of found.notes) io.stdout.write(`note  ${f}: ${note}\n`);
      // Without --resolve: every reference this environment cannot supply, named (never its value), all at once.
      for (const u of found.unresolved) io.stdout.write(`unresolved  ${formatProblem(u)}\n`);
      const unresolvedNote =
        found.unresolved.length > 0
          ? ` (${found.unresolved.length} reference${found.unresolved.length === 1 ? '' : 's'} not resolvable here: run needs ${found.unresolved.length === 1 ? 'it' : 'them'}; validate --resolve makes ${found.unresolved.length === 1 ? 'it an error' : 'them errors'})`
          : '';
      const fileOk = found.problems.length === 0;
      if (!found.source || !suite) {
        if (fileOk) io.stdout.write(`ok  ${f}${unresolvedNote}\n`);
        continue;
      }
      if (!found.profile) {
        if (fileOk) io.stdout.write(`ok  ${f} (the requirements of suite ${suite.name} are checked with --resolve)${unresolvedNote}\n`);
        continue;
      }
      // The suite's plan is shown even beside other problems (when the structure holds), so one pass tells everything.
      const plan = suite.checks.map((planned) => ({ planned, unmet: planned.check.unmet?.(found.profile!) ?? [] }));
      const cannot = plan.filter((e) => e.planned.required && e.unmet.length > 0);
      io.stdout.write(planText(f, suite, plan, fileOk && cannot.length === 0, found.profile, fileOk ? unresolvedNote : ''));
      for (const e of cannot) for (const u of e.unmet) unmetProblems.push(located(found.source!, u, e.planned, suite));
    }
    // Broken files and unmet requirements together, in one list: exit 2, the worse of the two.
    if (problems.length > 0) throw new ConfigError([...problems, ...unmetProblems]);
    if (unmetProblems.length > 0) {
      io.stderr.write(
        `keyprobe: ${unmetProblems.length === 1 ? 'a requirement' : `${unmetProblems.length} requirements`} of suite ${suite!.name} the profile cannot meet (its required checks would not run; the launch could not be verified):\n`,
      );
      for (const p of unmetProblems) io.stderr.write(`  ${formatProblem(p)}\n`);
      return EXIT.unverified;
    }
    return EXIT.pass;
  };
}

/** What validate says about one profile and the suite: the count, then every check that will not simply run. */
function planText(file: string, suite: LoadedSuite, plan: readonly PlanEntry[], ok: boolean, profile: Profile, suffix = ''): string {
  const runs = plan.filter((e) => e.unmet.length === 0);
  const skips = plan.filter((e) => e.unmet.length > 0 && !e.planned.required);
  const cannot = plan.filter((e) => e.unmet.length > 0 && e.planned.required);
  const counts = [
    `${runs.length} check${runs.length === 1 ? '' : 's'} will run`,
    ...(skips.length ? [`${skips.length} will skip`] : []),
    ...(cannot.length ? [`${cannot.length} required cannot run`] : []),
  ].join(', ');
  const lines = [`${ok ? 'ok  ' : ''}${file} — suite ${suite.name}: ${counts}${suffix}`];
  // A manual step asks a person: without --interactive (or a terminal) it is skipped when the run gets there.
  const manual = (e: PlanEntry) =>
    e.planned.check.destructive && profile.lifecycle?.adapter === 'manual' ? ' (manual steps: run with --interactive)' : '';
  for (const e of plan) {
    const id = e.planned.check.id;
    if (e.unmet.length === 0) lines.push(`  run       ${id}${e.planned.required ? ' (required)' : ''}${manual(e)}`);
    else if (!e.planned.required) lines.push(`  skip      ${id} — ${e.unmet.map((u) => u.message).join('; ')}`);
    else lines.push(`  REQUIRED  ${id} — cannot run: ${e.unmet.map((u) => u.message).join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An unmet requirement as a problem located at the field to add or fix (or, when it is missing, its nearest parent). */
function located(source: YamlSource, u: Unmet, planned: PlannedCheck, suite: LoadedSuite): ConfigProblem {
  let pos: { line: number; column: number } | undefined;
  for (let n = u.path.length; n >= 0 && !pos; n--)
    pos = n === u.path.length ? source.locate(u.path) : source.locate(u.path.slice(0, n), n > 0);
  return {
    file: source.file,
    line: pos?.line,
    column: pos?.column,
    path: formatPath([...u.path]),
    message: `${planned.check.id} is required by suite ${suite.name} and cannot run: ${u.message}`,
  };
}

function isSuiteFile(file: string): boolean {
  const read = readYamlFile(file);
  const data = read.ok ? read.source.data : undefined;
  return data !== null && typeof data === 'object' && 'checks' in data && !('key' in data);
}

interface FileFindings {
  /** What makes the file invalid (with --resolve, the references that cannot be used too). */
  readonly problems: ConfigProblem[];
  /** Without --resolve: the references this environment cannot supply (names, never values). */
  readonly unresolved: ConfigProblem[];
  readonly notes: string[];
  /** The profile as the checks would see it, when its structure holds. */
  readonly profile?: Profile;
  readonly source?: YamlSource;
}

function validateOne(file: string, resolveRefs: boolean, env: NodeJS.ProcessEnv, policy: ProfileOptions): FileFindings {
  const none = { unresolved: [], notes: [] };
  const read = readYamlFile(file);
  if (!read.ok) return { ...none, problems: read.problems };
  const data = read.source.data;
  const isSuite = data !== null && typeof data === 'object' && 'checks' in data && !('key' in data);
  try {
    if (isSuite) {
      loadSuite(file);
      return { ...none, problems: [] };
    }
    const checked = checkProfileFile(file, resolveRefs ? env : undefined, policy);
    // Without --resolve the values are not used, but whether each reference can be resolved here is still checked.
    const unresolved =
      !resolveRefs && data !== null && typeof data === 'object' ? resolveProfileReferences(data, read.source, env, policy).problems : [];
    const profile = checked.loaded?.profile ?? withPlaceholders(data);
    return {
      problems: checked.problems,
      unresolved,
      notes: checked.problems.length === 0 ? profileNotes(data) : [],
      ...(profile ? { profile } : {}),
      source: read.source,
    };
  } catch (err) {
    if (err instanceof ConfigError) return { ...none, problems: [...err.problems] };
    throw err;
  }
}

/** What a valid profile needs from the operator at run time. */
function profileNotes(data: unknown): string[] {
  const lifecycle = (data as { lifecycle?: { adapter?: unknown } } | null)?.lifecycle;
  return lifecycle?.adapter === 'command'
    ? [
        'lifecycle.adapter is "command": it runs shell commands from the profile, which keyprobe run does only with --allow-commands (or KEYPROBE_ALLOW_COMMANDS=1); without it the checks that need them do not run',
      ]
    : [];
}

/**
 * The profile as the checks would see it, without resolving its secret
 * references: each `${env:…}`/`${file:…}` stands in as a value of the right
 * shape. What a check needs is which fields are there, not their values.
 */
function withPlaceholders(raw: unknown): Profile | undefined {
  const fill = (node: unknown, key: string): unknown => {
    if (typeof node === 'string' && node.includes('${')) {
      if (key === 'origin') return 'https://reference.invalid';
      if (key === 'created' || key === 'expires') return '2000-01-01';
      return SECRET_REFERENCE.test(node) ? 'reference-placeholder' : node.replace(/\$\{[^}]*\}/g, 'placeholder');
    }
    if (Array.isArray(node)) return node.map((v) => fill(v, key));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v, k)]));
    return node;
  };
  const parsed = profileSchema.safeParse(fill(raw, ''));
  return parsed.success ? parsed.data : undefined;
}
