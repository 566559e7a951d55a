import { resolve } from 'node:path';
import { checkProfileFile, type ProfileOptions } from '../../config/load-profile.js';
import { loadSuite } from '../../config/suite.js';
import { readYamlFile } from '../../config/yaml-source.js';
import { ConfigError, EXIT, type ConfigProblem } from '../../errors.js';
import type { CliIo } from '../io.js';
import { operatorPolicy, type OperatorOptions } from '../operator.js';

export function validateCommand(io: CliIo) {
  return async (files: string[], opts: OperatorOptions & { resolve?: boolean }): Promise<number> => {
    const policy = operatorPolicy(opts, io);
    const problems: ConfigProblem[] = [];
    for (const f of files) {
      const file = resolve(io.cwd, f);
      const { problems: found, notes } = validateOne(file, opts.resolve === true, io.env, policy);
      if (found.length === 0) io.stdout.write(`ok  ${f}\n`);
      for (const note of notes) io.stdout.write(`note  ${f}: ${note}\n`);
      problems.push(...found);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return EXIT.pass;
  };
}

function validateOne(
  file: string,
  resolveRefs: boolean,
  env: NodeJS.ProcessEnv,
  policy: ProfileOptions,
): { problems: ConfigProblem[]; notes: string[] } {
  const read = readYamlFile(file);
  if (!read.ok) return { problems: read.problems, notes: [] };
  const data = read.source.data;
  const isSuite = data !== null && typeof data === 'object' && 'checks' in data && !('key' in data);
  try {
    if (isSuite) {
      loadSuite(file);
      return { problems: [], notes: [] };
    }
    return { problems: checkProfileFile(file, resolveRefs ? env : undefined, policy).problems, notes: profileNotes(data) };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: [...err.problems], notes: [] };
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
