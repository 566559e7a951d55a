// The one fault → check mapping: which check each reference-target fault must
// make fail (and no other), read from the detection matrix's plain cases (the
// fault alone, no platform behaviour, no profile variant). The reference
// target names no check; every test that needs "the check a fault fails"
// (exactly-one-check, stability, the docs table) asks here.
import { FAULTS, type FaultName } from '../../src/reference/index.js';
import { DETECTION_MATRIX } from './matrix.js';

/**
 * Faults with no plain detection case, and the check each fails. With
 * anonymous-access on, auth.key-in-query-rejected cannot verify (a request
 * with no key at all is served, so a served key-in-query says nothing) and
 * gives `error`, so the matrix's "every other check passes" cannot hold;
 * exactly-one-check.test.ts proves its one failing check instead.
 */
const OUTSIDE_MATRIX: Partial<Record<FaultName, string>> = {
  'anonymous-access': 'auth.missing-key-rejected',
};

/** The check each fault fails, from its plain detection case; a fault without one throws, so a new fault must get its case. */
export function faultChecks(): Readonly<Record<FaultName, string>> {
  const out = {} as Record<FaultName, string>;
  for (const fault of FAULTS) {
    const outside = OUTSIDE_MATRIX[fault.name];
    if (outside) {
      out[fault.name] = outside;
      continue;
    }
    const plain = DETECTION_MATRIX.filter(
      (c) => !c.behaviours?.length && !c.profileVariant && c.faults.length === 1 && c.faults[0]!.split('=')[0] === fault.name,
    );
    const checks = [...new Set(plain.map((c) => c.expectFail))];
    if (checks.length !== 1)
      throw new Error(
        `fault ${fault.name}: expected one plain detection case (test/detection/*-cases.ts) naming the check it fails; found ${checks.length ? checks.join(', ') : 'none'}`,
      );
    out[fault.name] = checks[0]!;
  }
  return out;
}

export const FAULT_CHECKS = faultChecks();
