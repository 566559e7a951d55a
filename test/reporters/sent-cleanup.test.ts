// A cleanup sent and acknowledged that no probe can verify (the delete of a
// canary that is refused anyway, because it was disabled or created to
// expire; a key whose secret keyprobe never learnt) is `sent`, never
// `verified`. It does not gate — nothing is known to be left changed, so a
// healthy run still exits 0 — but every report names it, in the same words,
// and results.json with it validates against the committed JSON Schema.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { consoleReporter } from '../../src/reporters/console.js';
import { htmlReporter } from '../../src/reporters/html.js';
import { jsonReporter } from '../../src/reporters/json.js';
import { junitReporter } from '../../src/reporters/junit.js';
import { markdownReporter } from '../../src/reporters/markdown.js';
import { readResults } from '../../src/reporters/results-file.js';
import type { CleanupRecord, RunResult } from '../../src/result.js';
import { launchVerdict } from '../../src/runner/verdict.js';
import { check, failedCleanup, profileRun, runResult } from './sample-results.js';

const work = mkdtempSync(join(tmpdir(), 'keyprobe-sent-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DETAIL =
  'delete sent; not verifiable by probing: the canary was created to expire after 1 s, so it is refused whether or not the delete did anything';

function sent(over: Partial<CleanupRecord> = {}): CleanupRecord {
  const {
    leftState: _l,
    restore: _r,
    ...record
  } = failedCleanup({
    check: 'lifecycle.expired-key-rejected',
    key: 'keyprobe-canary-0a1b2c3d',
    keyId: 'key_exp1',
    subject: 'created canary',
    action: 'delete',
    outcome: 'sent',
    detail: DETAIL,
    ...over,
  });
  return record;
}

/** Every check passed; the expiring canary's delete was sent and cannot be probed. */
function healthyWithSent(records: CleanupRecord[] = [sent()]): RunResult {
  return runResult(
    [
      profileRun('crm-prod-agent-call', [
        check('auth.valid-key-accepted', 'pass', { required: true }),
        check('lifecycle.expired-key-rejected', 'pass', { destructive: true }),
      ]),
    ],
    { cleanup: { complete: true, records } },
  );
}

async function render(result: RunResult, name: string): Promise<{ dir: string; file: (f: string) => string; console: string }> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const r of [jsonReporter, junitReporter, htmlReporter, markdownReporter()]) await r.write(result, dir);
  let printed = '';
  const reporter = consoleReporter({
    write: (s) => {
      printed += s;
    },
    color: false,
  });
  await reporter.onPublished?.(result, { exitCode: result.exitCode, outDir: dir, files: [] });
  return { dir, file: (f) => readFileSync(join(dir, f), 'utf8'), console: printed };
}

describe('a cleanup sent but not verifiable by probing', () => {
  it('does not gate: a healthy run exits 0; beside a cleanup left undone it is still exit 3', () => {
    const passing = [check('auth.valid-key-accepted', 'pass', { required: true })];
    expect(launchVerdict(passing, false, [sent()])).toEqual({ verdict: 'pass', exitCode: EXIT.pass });
    expect(launchVerdict(passing, false, [sent(), failedCleanup({ outcome: 'unverified' })])).toEqual({
      verdict: 'error',
      exitCode: EXIT.unverified,
    });
    expect(healthyWithSent().exitCode).toBe(EXIT.pass);
  });

  it('is named by every reporter, as sent and not verifiable, never as verified nor as a failure', async () => {
    const { file, console } = await render(healthyWithSent(), 'one');
    const heading =
      'Cleanup sent, not verifiable by probing: one action was acknowledged, but no probe can tell whether it took effect (does not gate the launch)';
    const line = `delete created canary "keyprobe-canary-0a1b2c3d" (id key_exp1) of crm-prod-agent-call after lifecycle.expired-key-rejected: ${DETAIL}`;

    // Console: before the verdict line, which stays PASS; no CLEANUP INCOMPLETE block.
    expect(console).toContain(`${heading}:\n  ${line}\n\nLaunch verdict: PASS — exit 0`);
    expect(console).not.toMatch(/CLEANUP INCOMPLETE/);

    // JSON: the outcome itself, and a cleanup that is complete.
    const json = JSON.parse(file('results.json')) as RunResult;
    expect(json.cleanup).toEqual({ complete: true, records: [sent()] });

    // JUnit: in the system-out of the check that made it; no error testcase, the counts as without it.
    const junit = file('junit.xml');
    expect(junit).toMatch(/<testsuites [^>]*tests="2" failures="0" errors="0"/);
    expect(junit).not.toMatch(/<error|cleanup=|name="cleanup: /);
    const expiredCase = /<testcase [^>]*name="lifecycle\.expired-key-rejected"[\s\S]*?<\/testcase>/.exec(junit)![0];
    expect(expiredCase).toContain(`cleanup sent, not verifiable by probing (does not gate): ${line}`);

    // HTML: a section under the verdict, not the red cleanup alert.
    const html = file('report.html');
    expect(html).toContain(`<section id="cleanup-sent"><h2>${heading}</h2>`);
    expect(html).toContain(`<li>${line.replaceAll('"', '&quot;')}</li>`);
    expect(html).not.toMatch(/cleanup-alert"/);

    // Markdown: a section of its own.
    const md = file('summary.md');
    expect(md).toContain(`### ${heading}`);
    expect(md).toMatch(/- delete created canary "keyprobe-canary-0a1b2c3d" \(id key\\?_exp1\)/);
    expect(md).not.toMatch(/CLEANUP INCOMPLETE/);
  });

  it('in a big run, is counted per check on the console, folded in the HTML and capped in the job summary', async () => {
    const records = Array.from({ length: 30 }, (_, i) =>
      sent({ key: `keyprobe-canary-${i}`, ...(i % 3 === 0 ? { check: 'lifecycle.disabled-key-rejected' } : {}) }),
    );
    const { file, console } = await render(healthyWithSent(records), 'many');
    expect(console).toContain(
      "Cleanup sent, not verifiable by probing: 30 actions were acknowledged, but no probe can tell whether they took effect (does not gate the launch); each is in results.json's cleanup records:\n  10 after lifecycle.disabled-key-rejected\n  20 after lifecycle.expired-key-rejected",
    );
    expect(file('report.html')).toContain('<details><summary>30 cleanups</summary>');
    expect(file('summary.md')).toContain("- … and 10 more in results.json's cleanup records");
  });

  it('validates against the committed results schema, and `keyprobe report` reads it back', async () => {
    const { dir, file } = await render(healthyWithSent(), 'schema');
    const ajv = new Ajv({ allErrors: true, strict: true, formats: { uri: (s: string) => URL.canParse(s) } });
    const validate = ajv.compile(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', 'results.schema.json'), 'utf8')) as object);
    expect(validate(JSON.parse(file('results.json'))), JSON.stringify(validate.errors)).toBe(true);
    expect((await readResults(join(dir, 'results.json'))).cleanup?.records[0]?.outcome).toBe('sent');
  });
});
