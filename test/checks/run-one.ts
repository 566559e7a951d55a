// Runs one check for real (through the runner, so skips, errors and redaction
// are as in a run) against a profile built in code.
import type { ProfileInput } from '../../src/config/profile-schema.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import type { CheckResult } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { loadedProfile } from '../runner/profiles.js';

export async function runOne(id: string, input: ProfileInput): Promise<CheckResult> {
  const run = await runSuite({ profiles: [loadedProfile(input)], suite: suiteOfAllChecks(), only: [id] });
  return run.profiles[0]!.checks[0]!;
}
