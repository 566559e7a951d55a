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
      const found = validateOne(file, opts.resolve === true, io.env, policy);
      if (found.length === 0) io.stdout.write(`ok  ${f}\n`);
      problems.push(...found);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return EXIT.pass;
  };
}

function validateOne(file: string, resolveRefs: boolean, env: NodeJS.ProcessEnv, policy: ProfileOptions): ConfigProblem[] {
  const read = readYamlFile(file);
  if (!read.ok) return read.problems;
  const data = read.source.data;
  const isSuite = data !== null && typeof data === 'object' && 'checks' in data && !('key' in data);
  try {
    if (isSuite) {
      loadSuite(file);
      return [];
    }
    return checkProfileFile(file, resolveRefs ? env : undefined, policy).problems;
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}
