// The refusals of a dead key are judged for what they say back: with
// disabled-key-echo, expired-key-echo or rotated-key-echo on, the 401 for
// that key quotes it (in the body or the WWW-Authenticate challenge) or
// carries a Java stack trace in an X-Debug-Exception header, and the
// lifecycle check that refuses that key fails, though the key was refused in
// time. Where the check refuses the key many times over (the disable's poll
// and stability window), every refusal is judged and only the first that
// said too much is kept as failing evidence. With the fault off the same
// checks pass (lifecycle-matrix.test.ts's healthy run, and the `body` forms
// are its cases). Over loopback HTTP against the reference target; nothing
// the run returned holds a secret it knew.
import { describe, it } from 'vitest';
import { allChecks } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { runDetectionCase } from './run-case.js';

const CASES = [
  { fault: 'disabled-key-echo', check: 'lifecycle.disabled-key-rejected' },
  { fault: 'expired-key-echo', check: 'lifecycle.expired-key-rejected' },
  { fault: 'rotated-key-echo', check: 'lifecycle.rotated-key' },
] as const;

/** What each form of the fault makes the check say, after "its ": the key named as the check names it. */
const REVEALS = {
  header: /www-authenticate header reveals the [a-z ]+ itself/,
  'trace-header': /x-debug-exception header reveals a Java stack trace/,
} as const;

describe.concurrent('a dead key quoted back, or a stack trace in a header, fails the check that refuses it', () => {
  for (const { fault, check } of CASES) {
    for (const form of ['header', 'trace-header'] as const) {
      it(`${fault}=${form}: ${check} fails, with the first offending refusal as evidence`, async ({ expect }) => {
        const run = await runDetectionCase({ faults: [`${fault}=${form}`] }, [check]);
        const result = allChecks(run.result).find((c) => c.id === check)!;
        expect(result.verdict, result.message).toBe('fail');
        expect(result.message).toMatch(/the refusal of the [a-z ]+ said too much: 401 Unauthorized, its /);
        expect(result.message).toMatch(REVEALS[form]);
        expect(result.findings.some((f) => /^The refusal of the [a-z ]+ says too much$/.test(f.title))).toBe(true);
        // The first refusal that said too much is the evidence, marked failing (others of the window only counted).
        const failing = result.evidence.filter((e) => e.failing);
        expect(failing.length).toBe(1);
        expect(failing[0]!.status).toBe(401);
        expect(result.measurements.refusalsThatSaidTooMuch as number).toBeGreaterThan(0);
        expect(findSecrets(run.secrets, { texts: { result: JSON.stringify(run.result) } })).toEqual([]);
      });
    }
  }
});
