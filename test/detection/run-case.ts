// Runs one detection case for real: the demo's reference target with the
// case's faults and platform behaviours on, under one of the matrix's limiters
// (the profile declaring the behaviours and the limiter truthfully, as its
// owner would: src/demo/declare.ts), the demo profile (or a variant of it),
// the prelaunch suite restricted to the given checks, all over loopback HTTP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadProfile } from '../../src/config/load-profile.js';
import { loadSuite } from '../../src/checks/suite.js';
import { declareBehaviours } from '../../src/demo/declare.js';
import { startDemo } from '../../src/demo/seed.js';
import { BUNDLED_SUITES_DIR, DEMO_PROFILE } from '../../src/paths.js';
import type { KeyView, RevocationEvent } from '../../src/reference/index.js';
import type { RunResult } from '../../src/result.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { tempDir } from '../helpers/tmp.js';
import { LIMITER_BEHAVIOURS, type DetectionCase, type Limiter } from './case.js';
import { PROFILE_VARIANTS } from './profile-variants.js';

export const PRELAUNCH_SUITE = join(BUNDLED_SUITES_DIR, 'prelaunch.yaml');

/**
 * The demo profile's stability window (2 s) where a case does not switch on
 * revocation-flap: ten probes at the check's 50 ms interval, every one of which
 * must be refused, instead of forty: each run of the lifecycle checks is 1.5 s shorter.
 */
export const SHORT_STABILITY_WINDOW_MS = 500;

export interface CaseRun {
  readonly result: RunResult;
  /** Every secret the run knew or made, for leak scans. */
  readonly secrets: readonly string[];
  /** The target's keys after the run (no secrets), to prove no canary was left behind or left disabled. */
  readonly keysAfter: readonly KeyView[];
  /** Every disable and delete the target saw, with when it started refusing the key: the truth a measured lag is compared with. */
  readonly revocations: readonly (RevocationEvent & { readonly refusedFrom: number })[];
  /** Requests the target answered 429 (its data-plane counter). */
  readonly throttled: number;
}

export async function runDetectionCase(
  c: Pick<DetectionCase, 'faults' | 'profileVariant' | 'behaviours'>,
  only: readonly string[],
  limiter: Limiter = 'per-key',
): Promise<CaseRun> {
  const demo = await startDemo(c.faults, 'prod', 0, [...LIMITER_BEHAVIOURS[limiter], ...(c.behaviours ?? [])]);
  const tmp = tempDir('keyprobe-detection-');
  try {
    const doc = parseDocument(readFileSync(DEMO_PROFILE, 'utf8'));
    declareBehaviours(doc, demo.target.behaviours());
    // The stability window is what catches a revocation that flaps; for every other
    // case it only has to hold a few probes of a key that stays refused.
    if (!c.faults.some((f) => f.startsWith('revocation-flap'))) doc.setIn(['lifecycle', 'stabilityWindowMs'], SHORT_STABILITY_WINDOW_MS);
    const made: string[] = [];
    let env: Record<string, string> = { ...demo.env };
    if (c.profileVariant) {
      const variant = PROFILE_VARIANTS[c.profileVariant];
      if (!variant) throw new Error(`unknown profile variant "${c.profileVariant}"; known: ${Object.keys(PROFILE_VARIANTS).join(', ')}`);
      env = {
        ...env,
        ...variant({
          demo,
          doc,
          createKey: (input) => {
            const key = demo.target.createKey(input);
            made.push(key.secret);
            return key;
          },
        }),
      };
    }
    const loaded = loadProfile(tmp.file('profile.yaml', doc.toString()), env);
    const result = await runSuite({ profiles: [loaded], suite: loadSuite(PRELAUNCH_SUITE), only, secrets: new SecretRegistry() });
    return {
      result,
      secrets: [...demo.secrets, ...made],
      keysAfter: demo.target.listKeys(),
      revocations: demo.target.revocations(),
      throttled: demo.target.stats().throttled,
    };
  } finally {
    tmp.cleanup();
    await demo.target.close();
  }
}
