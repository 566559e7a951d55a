// A big run's checks on worker threads (src/runner/shards.ts) report what a
// single-threaded run of the same profiles reports: the same profiles in the
// same order, the same checks with the same verdicts and messages, evidence
// of the same shape, the same run-level verdict and exit code. Over real
// loopback against two reference targets: one that limits per key, one that
// limits per client address (its two profiles share a thread: their bursts
// spend one bucket, src/runner/sharding.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/load-profile.js';
import type { RunResult } from '../../src/result.js';
import { planShards } from '../../src/runner/sharding.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { startShardTargets, type ShardTargets } from './sharded-targets.js';

/** Checks that talk to the target, make a canary (a secret learnt in a worker), and burst into a rate-limit bucket. */
const CHECKS = [
  'auth.valid-key-accepted',
  'auth.near-miss-key-rejected',
  'authz.unauthorized-resource-denied',
  'lifecycle.disabled-key-rejected',
  'rate.limit-triggered',
  'naming.key-name-convention',
].join(',');

let targets: ShardTargets;
const tmp = tempDir('keyprobe-sharded-');
beforeAll(async () => {
  targets = await startShardTargets(tmp.dir);
});
afterAll(async () => {
  await targets?.close();
  tmp.cleanup();
});

function run(threads: number, out: string) {
  return runCli(['run', ...targets.files, '--only', CHECKS, '--threads', String(threads), '--concurrency', '4', '--out', out], {
    env: { PATH: process.env.PATH, ...targets.env },
    cwd: tmp.dir,
  });
}

/** The note of a profile that waited for another's turn at the bucket they share (src/runner/pacing-plan.ts). */
const TURN_NOTE = /^Lifecycle and rate-limit checks waited \d+ ms for another profile's on the (origin's|key's) rate-limit bucket/;

/** What must be the same whichever thread ran a profile: everything but times, durations and what is measured in ms. */
function comparable(result: RunResult) {
  return {
    verdict: result.verdict,
    exitCode: result.exitCode,
    incomplete: result.incomplete,
    cleanup: {
      complete: result.cleanup!.complete,
      records: result.cleanup!.records.map((r) => `${r.profile} ${r.check} ${r.action} ${r.outcome}`).sort(),
    },
    profiles: result.profiles.map((p) => ({
      profile: p.profile,
      preflight: p.preflight?.reachable,
      requestBudget: p.requestBudget,
      // Whether one of two profiles sharing a bucket waits for the other's turn is a matter of timing, in any run.
      notes: p.notes.filter((n) => !TURN_NOTE.test(n)).map(withoutFigures),
      checks: p.checks.map((c) => ({
        id: c.id,
        verdict: c.verdict,
        message: withoutFigures(c.message),
        findings: c.findings.map((f) => withoutFigures(f.message)),
        advisories: c.advisories.map(withoutFigures),
        // The kinds of exchange made (how many probes a window held, and the ids in bodies, vary from run to run).
        evidence: [
          ...new Set(c.evidence.map((e) => withoutFigures(`${e.label} ${e.method} ${e.origin}${e.path} ${e.status ?? e.error} ${e.curl}`))),
        ].sort(),
      })),
    })),
  };
}

/** Numbers (timings, counts of waits) and canary names (made fresh each run) vary from run to run whatever runs them. */
function withoutFigures(text: string): string {
  return text
    .replace(/in this run so far .*$/, 'in this run so far …')
    .replace(/\d+(\.\d+)?/g, 'N')
    .replace(/canary-[a-z0-9]+/g, 'canary-X');
}

describe('a sharded run', () => {
  it('puts the profiles that share a per-client limiter on one thread', () => {
    const loaded = targets.files.map((f) => loadProfile(f, targets.env));
    const shards = planShards({ profiles: loaded, threads: 2, concurrency: 4 })!;
    expect(shards).toHaveLength(2);
    const perClient = targets.perClientFiles.map((f) => targets.files.indexOf(f));
    expect(shards.filter((s) => perClient.some((i) => s.profiles.includes(i)))).toHaveLength(1);
    expect(shards.map((s) => s.concurrency)).toEqual([2, 2]);
  });

  it('reports what a single-threaded run of the same profiles reports', async () => {
    const one = await run(1, join(tmp.dir, 'one'));
    const two = await run(2, join(tmp.dir, 'two'));
    expect(one.stderr).toBe('');
    expect(two.stderr).toBe('');
    const read = (dir: string) => JSON.parse(readFileSync(join(tmp.dir, dir, 'results.json'), 'utf8')) as RunResult;
    const [single, sharded] = [read('one'), read('two')];
    expect(sharded.profiles.map((p) => p.profile.file)).toEqual(targets.files);
    expect(comparable(sharded)).toEqual(comparable(single));
    expect(two.code).toBe(one.code);
    expect(single.exitCode).toBe(0);
    // The run-level fields: requests as counted per profile, times around the checks.
    for (const p of sharded.profiles) expect(p.requestsSent).toBeGreaterThan(0);
    expect(Date.parse(sharded.finishedAt)).toBeGreaterThanOrEqual(
      Math.max(...sharded.profiles.flatMap((p) => p.checks.map((c) => Date.parse(c.startedAt)))),
    );
    // No secret of either target in anything the sharded run wrote or printed.
    expect(findSecrets(targets.secrets, { dirs: [join(tmp.dir, 'two')], texts: { stdout: two.stdout, stderr: two.stderr } })).toEqual([]);
  });
});
