// Reports are byte-identical to what keyprobe wrote before they were streamed
// profile by profile (issue #15): every shape of result, and a many-profile run
// with failures, errors, skips, cleanup records, findings and timelines (over
// 500 checks, so the HTML's compact cards too), is rendered by each reporter
// and compared with golden files that main's code (81a034e, before the
// change) rendered from the same results: once from the result in memory,
// once with its profiles read back from a spool on disk, as `keyprobe run`
// renders them. UPDATE_GOLDEN=1 writes them again: only ever from code whose
// output is known to be right.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleReporter } from '../../src/reporters/console.js';
import { htmlReporter } from '../../src/reporters/html.js';
import { jsonReporter } from '../../src/reporters/json.js';
import { junitReporter } from '../../src/reporters/junit.js';
import { markdownReporter } from '../../src/reporters/markdown.js';
import type { CheckResult, CleanupRecord, ProfileSource, RunResult, Verdict } from '../../src/result.js';
import { ProfileSpool } from '../../src/runner/spool.js';
import {
  ALL_SHAPES,
  burstTimeline,
  check,
  exchange,
  failedCleanup,
  NASTY,
  profileRun,
  revocationTimeline,
  runResult,
} from './sample-results.js';

const GOLDEN = new URL('../fixtures/golden-reports/', import.meta.url).pathname;
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FILES = ['results.json', 'junit.xml', 'report.html', 'summary.md', 'console.txt'] as const;

/** 36 profiles × 15 checks: every verdict, advisory checks, findings, timelines, notes, and cleanups left undone in three profiles. */
function manyProfiles(): RunResult {
  const ids = [
    'auth.valid-key-accepted',
    'auth.missing-key-rejected',
    'auth.invalid-key-rejected',
    'auth.near-miss-key-rejected',
    'auth.key-in-query-rejected',
    'authz.unauthorized-resource-denied',
    'env.foreign-environment-key-rejected',
    'env.key-matches-environment',
    'naming.key-name-convention',
    'governance.owner-and-expiry',
    'privilege.least-privilege',
    'lifecycle.disabled-key-rejected',
    'lifecycle.rotated-key',
    'rate.limit-triggered',
    'rate.recovers',
  ];
  const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
  const profiles = Array.from({ length: 36 }, (_, p) => {
    const keyName = `svc${String(p).padStart(2, '0')}-prod-agent-call`;
    const checks: CheckResult[] = ids.map((id, c) => {
      const n = p * ids.length + c;
      const verdict: Verdict = n % 23 === 5 ? 'fail' : n % 31 === 7 ? 'error' : n % 11 === 3 ? 'skip' : 'pass';
      return check(id, verdict, {
        severity: severities[n % severities.length]!,
        gating: n % 7 !== 0,
        ...(n % 13 === 0 ? { required: true } : {}),
        startedAt: new Date(Date.UTC(2026, 10, 27, 10, 15, 30) + n * 37).toISOString(),
        durationMs: (n % 17) * 12.3456,
        evidence: n % 3 === 0 ? [] : [exchange({ atMs: n, label: `probe ${n}`, ...(n % 29 === 0 ? { bodyExcerpt: NASTY } : {}) })],
        ...(verdict === 'fail'
          ? {
              findings: [
                {
                  title: 'A denied resource was served',
                  message: `POST /v1/agents/${n} answered 201 Created`,
                  severity: 'critical' as const,
                  ...(n % 2 === 0 ? { exchange: 0 } : {}),
                  location: { file: `profiles/${keyName}.yaml`, line: 10 + (n % 9), column: 3, path: ['denied', n % 4] },
                },
              ],
              expected: 'refused with 401 or 403',
              observed: `answered 201 (${n})`,
            }
          : {}),
        ...(id === 'lifecycle.disabled-key-rejected' ? { destructive: true, timeline: revocationTimeline() } : {}),
        ...(id === 'rate.limit-triggered' ? { timeline: burstTimeline(), measurements: { acceptedBeforeThrottle: 100 + p } } : {}),
      });
    });
    const run = profileRun(keyName, checks, { keyFingerprint: `sha256:${(0x1000000 + p).toString(16).padStart(8, '0')}` });
    return { ...run, notes: [...run.notes, `note ${p} of ${keyName}`] };
  });
  const records: CleanupRecord[] = [3, 17, 30].flatMap((p) => [
    failedCleanup({ profile: `svc${p}-prod-agent-call`, key: `svc${p}-prod-agent-call-canary`, keyId: `key_${p}` }),
    failedCleanup({ profile: `svc${p}-prod-agent-call`, outcome: 'verified', key: `svc${p}-other` }),
  ]);
  records.push(failedCleanup({ profile: 'svc05-prod-agent-call', outcome: 'unverified', action: 'delete', restore: undefined }));
  return runResult(profiles, { cleanup: { complete: false, records }, requiredLeftOut: ['rate.limit-signalled'] });
}

const SHAPES: Record<string, () => RunResult> = { ...ALL_SHAPES, manyProfiles, noProfiles: () => runResult([]) };

const work = mkdtempSync(join(tmpdir(), 'keyprobe-golden-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What each reporter writes for `result`, by file name; the console's end-of-run output as console.txt. */
async function render(result: RunResult<ProfileSource>, dir: string): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  for (const r of [jsonReporter, junitReporter, htmlReporter, markdownReporter()]) await r.write(result, dir);
  // The HTML reporter's shelf of cards is gone once it has written.
  expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  let printed = '';
  const console = consoleReporter({
    write: (s) => {
      printed += s;
    },
    color: false,
  });
  await console.onPublished?.(result, { exitCode: result.exitCode, outDir: '/reports/golden', files: [] });
  writeFileSync(join(dir, 'console.txt'), printed);
  return Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

const sha256 = (text: string) => `${createHash('sha256').update(text, 'utf8').digest('hex')}\n`;

/** The same result with its profiles on disk, as a run with a spool has them (src/runner/spool.ts). */
function spooled(result: RunResult, dir: string): { result: RunResult<ProfileSource>; spool: ProfileSpool } {
  mkdirSync(dir, { recursive: true });
  const spool = new ProfileSpool(dir);
  // Put last to first: the spool reads them back in profile order whatever order they finished in.
  for (let i = result.profiles.length - 1; i >= 0; i--) spool.put(i, result.profiles[i]!);
  return { result: { ...result, profiles: spool }, spool };
}

describe('reports are byte-identical to the golden files main rendered', () => {
  for (const [name, make] of Object.entries(SHAPES)) {
    it(name, async () => {
      // The big run's files (megabytes) are kept as their sha256; the others whole, so a difference reads as a diff.
      const digestsOnly = name === 'manyProfiles';
      const shown = (text: string) => (digestsOnly ? sha256(text) : text);
      const folder = join(GOLDEN, name);
      const golden = (f: string) => join(folder, digestsOnly ? `${f}.sha256` : f);
      const inMemory = await render(make(), join(work, name, 'memory'));
      if (UPDATE) {
        mkdirSync(folder, { recursive: true });
        for (const f of FILES) writeFileSync(golden(f), shown(inMemory[f]!));
      }
      expect(existsSync(folder), `${folder}: run UPDATE_GOLDEN=1 on code known to be right`).toBe(true);
      for (const f of FILES) expect(shown(inMemory[f]!), `${name}/${f}`).toBe(readFileSync(golden(f), 'utf8'));
      // And read profile by profile from a spool, as `keyprobe run` renders them.
      const { result, spool } = spooled(make(), join(work, name, 'spool'));
      try {
        const fromSpool = await render(result, join(work, name, 'spooled'));
        for (const f of FILES) expect(shown(fromSpool[f]!), `${name}/${f} from a spool`).toBe(readFileSync(golden(f), 'utf8'));
      } finally {
        spool.close();
      }
    });
  }
});
