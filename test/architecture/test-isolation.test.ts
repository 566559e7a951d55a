// The unit files share one module registry per worker (vitest.config.ts:
// isolate: false), so a vi.mock there would miss a module an earlier file had
// loaded, and what it mocked would leak into the files after it: a test that
// replaces the scanner's file reads, say, would pass without reading through
// the replacement, or break the next file's scanner. Every file that mocks a
// module must run isolated: listed in MOCKING_FILES or in a timing group.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { MOCKING_FILES, TIMING_SENSITIVE } from '../setup/timing-files.js';
import { tsFiles } from './ts-files.js';

/** The test files, relative to the package root. */
function testFiles(): string[] {
  return tsFiles(join(PACKAGE_ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(PACKAGE_ROOT, f));
}

it('every test file that mocks a module runs isolated', () => {
  const mocking = testFiles().filter((f) => /\bvi\.(do)?mock\(/.test(readFileSync(join(PACKAGE_ROOT, f), 'utf8')));
  expect(mocking.length).toBeGreaterThan(0);
  const shared = mocking.filter((f) => !MOCKING_FILES.includes(f) && !TIMING_SENSITIVE.includes(f));
  expect(shared, 'add these to MOCKING_FILES in test/setup/timing-files.ts').toEqual([]);
});

it('every file listed as mocking is there and mocks', () => {
  for (const f of MOCKING_FILES) expect(readFileSync(join(PACKAGE_ROOT, f), 'utf8')).toMatch(/\bvi\.(do)?mock\(/);
});

it('no shared test helper registers a hook when it is loaded', () => {
  // A module-level afterEach in a helper that unit files share runs for the first file of a worker that loads it and
  // for none after it (isolate: false): a clock it should restore stays frozen, servers it should close stay open.
  // Helpers register per test (onTestFinished); files vitest runs for every test file (setupFiles) may use hooks.
  const helpers = tsFiles(join(PACKAGE_ROOT, 'test'))
    .filter((f) => !f.endsWith('.test.ts') && !f.includes('/setup/'))
    .map((f) => relative(PACKAGE_ROOT, f));
  expect(helpers.length).toBeGreaterThan(0);
  const hooking = helpers.filter((f) => /^(before|after)(Each|All)\(/m.test(readFileSync(join(PACKAGE_ROOT, f), 'utf8')));
  expect(hooking, 'register per test with onTestFinished instead').toEqual([]);
});
