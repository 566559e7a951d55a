// What the lifecycle cases assert about the target they ran against: the run
// left it as found (no canary behind, no key disabled, no failed cleanup), no
// secret is in the result, and a measured revocation lag matches the target's
// own record. `e`: the test's own expect inside concurrent tests.
import { expect, type ExpectStatic } from 'vitest';
import { CANARY_NAME_PREFIX } from '../../src/checks/canary.js';
import { allChecks } from '../../src/result.js';
import { expectLagMeasured } from '../helpers/revocation.js';
import { findSecrets } from '../helpers/scan.js';
import type { CaseRun } from './run-case.js';

export function expectCleanTarget(run: CaseRun, e: ExpectStatic = expect): void {
  const leftovers = run.keysAfter.filter((k) => k.name.startsWith(CANARY_NAME_PREFIX));
  e(
    leftovers.map((k) => k.name),
    'a created canary was left behind',
  ).toEqual([]);
  e(
    run.keysAfter.filter((k) => !k.enabled).map((k) => k.name),
    'a key was left disabled',
  ).toEqual([]);
  e(run.result.profiles[0]!.notes.filter((n) => n.includes('CLEANUP FAILED'))).toEqual([]);
  e(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
}

/** keyprobe's measured revocation lag against the target's own record of when it started refusing the key. */
export function expectRevocationMeasured(run: CaseRun): void {
  const c = allChecks(run.result).find((r) => r.id === 'lifecycle.disabled-key-rejected')!;
  const subject = c.measurements.subject === 'created canary' ? CANARY_NAME_PREFIX : 'crm-prod-agent-call-canary';
  const event = run.revocations.find((e) => e.name.startsWith(subject))!;
  expectLagMeasured(c, event.refusedFrom - event.at);
}
