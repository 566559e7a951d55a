// CONTRIBUTING.md promises that a new reporter is one file plus one line in
// REPORTERS (src/reporters/index.ts): `--reporter` then accepts its name, the
// publish step scans and lists its file in the manifest, and a reporter that
// throws is recorded (exit 3), not lost. In a copy of the built package this
// test adds a throwaway reporter file and its line, and renders a results.json
// with it through `keyprobe report`, as a user would.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { mixed } from './sample-results.js';

const COPY = join(PACKAGE_ROOT, 'test-artifacts', `new-reporter-${process.pid}`);

// A reporter that counts verdicts into tally.txt; `broken` throws, to see the failure recorded.
const REPORTER_FILE = `
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
export const tallyReporter = {
  name: 'tally',
  async write(result, outDir) {
    const counts = {};
    for (const p of result.profiles) for (const c of p.checks) counts[c.verdict] = (counts[c.verdict] ?? 0) + 1;
    const file = join(outDir, 'tally.txt');
    await writeFile(file, Object.entries(counts).map(([v, n]) => v + ' ' + n).join('\\n') + '\\n');
    return [file];
  },
};
export const brokenReporter = {
  name: 'broken',
  async write() {
    throw new Error('the broken reporter broke');
  },
};
`;

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [join(COPY, 'dist', 'cli.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NO_COLOR: '1' },
  })
    .then((r) => ({ code: 0, ...r }))
    .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

let results: string;

beforeAll(() => {
  rmSync(COPY, { recursive: true, force: true });
  mkdirSync(COPY, { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'dist'), join(COPY, 'dist'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(COPY, 'package.json'));
  // The one file…
  writeFileSync(join(COPY, 'dist', 'reporters', 'tally.js'), REPORTER_FILE);
  // …and the one line in REPORTERS (plus its import), and the same for the broken one.
  const index = join(COPY, 'dist', 'reporters', 'index.js');
  const before = readFileSync(index, 'utf8');
  const after = before
    .replace(/^/, "import { tallyReporter, brokenReporter } from './tally.js';\n")
    .replace(/(export const REPORTERS = \{\n)/, '$1    tally: () => tallyReporter,\n    broken: () => brokenReporter,\n');
  expect(after).not.toBe(before);
  writeFileSync(index, after);
  results = join(COPY, 'results.json');
  writeFileSync(results, `${JSON.stringify(mixed(), null, 2)}\n`);
});
afterAll(() => rmSync(COPY, { recursive: true, force: true }));

describe('a new reporter is one file plus one line in REPORTERS', () => {
  it('--reporter takes its name; its file is published and listed in the manifest', async () => {
    const out = join(COPY, 'out-tally');
    const r = await run(['report', results, '--reporter', 'tally,html', '--out', out]);
    expect(r.stderr).not.toMatch(/unknown reporter/i);
    const verdicts = mixed().profiles.flatMap((p) => p.checks.map((c) => c.verdict));
    const failCount = verdicts.filter((v) => v === 'fail').length;
    expect(readFileSync(join(out, 'tally.txt'), 'utf8')).toContain(`fail ${failCount}\n`);
    expect(readFileSync(join(out, 'manifest.sha256'), 'utf8')).toMatch(/ {1,2}tally\.txt$/m);
  });

  it('a reporter that throws is recorded: the run does not pass, and the reporter is named', async () => {
    const out = join(COPY, 'out-broken');
    const passing = join(COPY, 'passing.json');
    const { allPass } = await import('./sample-results.js');
    writeFileSync(passing, `${JSON.stringify(allPass(), null, 2)}\n`);
    const r = await run(['report', passing, '--reporter', 'broken,html', '--out', out]);
    expect(r.code).toBe(3);
    expect(`${r.stdout}${r.stderr}`).toMatch(/broken/);
  });

  it('a name not in REPORTERS is refused with exit 2 and a suggestion', async () => {
    const r = await run(['report', results, '--reporter', 'tallly', '--out', join(COPY, 'out-typo')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tally/);
  });
});
