// The test a helper's cleanup (a server closed, a temp dir removed) belongs to.
// vitest's global onTestFinished registers on the test vitest started last, or on
// none once a test has ended: inside concurrent tests (describe.concurrent) that
// is often a neighbour, whose end would close a server this test still talks to.
// A concurrent test passes its own context, which has its own onTestFinished.
import { onTestFinished, type TestContext } from 'vitest';

export type RunningTest = Pick<TestContext, 'onTestFinished'>;

/** The running test as vitest's global hook knows it: right for a test that runs alone. */
export const currentTest: RunningTest = { onTestFinished: (fn, timeout) => onTestFinished(fn, timeout) };
