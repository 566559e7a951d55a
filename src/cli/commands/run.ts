import { resolve } from 'node:path';
import { loadProfile, type LoadedProfile, type ProfileOptions } from '../../config/load-profile.js';
import { loadSuite, type LoadedSuite } from '../../checks/suite.js';
import { ConfigError, type ConfigProblem } from '../../errors.js';
import { loadRunAcceptance, type GovernanceOptions } from '../../governance/run-acceptance.js';
import { resolveSuitePath } from '../../paths.js';
import { executeRun, type ExecuteOptions } from '../execute.js';
import type { CliIo } from '../io.js';
import { WAIVER_TARGETS } from '../waiver-targets.js';
import { operatorPolicy, type OperatorOptions } from '../operator.js';

export function runCommand(io: CliIo) {
  return async (files: string[], opts: ExecuteOptions & OperatorOptions & GovernanceOptions & { suite: string }): Promise<number> => {
    const policy = operatorPolicy(opts, io);
    // Read before the profiles, so a bad baseline or waivers file stops the run before any request.
    const acceptance = loadRunAcceptance(io.cwd, opts, WAIVER_TARGETS);
    const { profiles, suite } = loadAll(io, files, opts.suite, io.env, policy);
    if (!policy.allowedOrigins && !opts.quiet)
      io.stdout.write(
        'Note: origins were not restricted — keys go to whatever origin each profile names; restrict them with --allow-origin or KEYPROBE_ALLOWED_ORIGINS\n',
      );
    return executeRun(io, profiles, suite, { ...opts, ...(acceptance ? { acceptance } : {}) });
  };
}

/** Loads the suite and every profile, reporting all of their problems at once. */
export function loadAll(
  io: CliIo,
  files: readonly string[],
  suiteName: string,
  env: NodeJS.ProcessEnv = io.env,
  policy: ProfileOptions = {},
): { profiles: LoadedProfile[]; suite: LoadedSuite } {
  const problems: ConfigProblem[] = [];
  let suite: LoadedSuite | undefined;
  try {
    suite = loadSuite(resolveSuitePath(suiteName, io.cwd));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const profiles: LoadedProfile[] = [];
  for (const f of files) {
    try {
      profiles.push(loadProfile(resolve(io.cwd, f), env, policy));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0 || !suite) throw new ConfigError(problems);
  return { profiles, suite };
}
