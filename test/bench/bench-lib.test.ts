// The benchmark's own building blocks: the figures it prints must be right
// (median and spread), the profiles it generates for the scale benchmark
// must be valid profiles with keys of their own, and the imposed waits it
// subtracts must come from the run's measurements.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { generateProfiles } from '../../bench/lib/generated-profiles.js';
import { spread, show } from '../../bench/lib/stats.js';
import { syntheticRun } from '../../bench/lib/synthetic-run.js';
import { markdownTable, type Row } from '../../bench/lib/table.js';
import { imposedWaits } from '../../bench/suite-overhead.js';
import { loadProfile } from '../../src/config/load-profile.js';
import { startDemo, type Demo } from '../../src/demo/seed.js';
import { allChecks } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

describe('spread', () => {
  it('gives the median with the lowest and highest run', () => {
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
    expect(show(spread([10, 30, 20]), 'ms', 0)).toBe('20 ms (10–30, 3 runs)');
  });
  it('refuses to summarise nothing', () => {
    expect(() => spread([])).toThrow(/no values/);
  });
});

describe('markdownTable', () => {
  it('escapes pipes and marks a missed goal', () => {
    const row: Row = { benchmark: 'B', scenario: 'a | b', keyprobe: '1', against: '2', result: '3', goal: 'g', status: 'MISSED' };
    const table = markdownTable([row]);
    expect(table).toContain('a \\| b');
    expect(table).toContain('**MISSED**');
  });
});

describe('generateProfiles', () => {
  let demo: Demo | undefined;
  const tmp = tempDir('keyprobe-bench-test-');
  afterEach(async () => {
    await demo?.target.close();
    tmp.cleanup();
  });

  it('makes valid profiles, each with its own key, and writes no secret into them', async () => {
    demo = await startDemo();
    const g = generateProfiles(demo.target, demo.env, 3, tmp.dir);
    expect(g.files).toHaveLength(3);
    const loaded = g.files.map((f) => loadProfile(f, g.env));
    const keys = new Set(loaded.map((l) => l.profile.key.secret));
    expect(keys.size).toBe(3);
    for (const l of loaded) {
      expect(l.profile.key.secret).not.toBe(demo.env.KEYPROBE_DEMO_KEY);
      // The key exists on the target under the id the profile names.
      expect(demo.target.getKey(l.profile.key.id!)?.name).toBe(l.profile.key.name);
    }
    expect(findSecrets([...g.secrets, ...demo.secrets], { dirs: [tmp.dir] })).toEqual([]);
    expect(readFileSync(g.files[0]!, 'utf8')).toContain('${env:KEYPROBE_DEMO_KEY_0}');
  });
});

describe('syntheticRun', () => {
  it('has exactly the asked number of checks, with every verdict', () => {
    const run = syntheticRun(10_000);
    const checks = allChecks(run);
    expect(checks).toHaveLength(10_000);
    for (const v of ['pass', 'fail', 'error', 'skip'] as const) expect(checks.some((c) => c.verdict === v)).toBe(true);
  });
});

describe('imposedWaits', () => {
  it('adds up the waits the run measured and the runner noted', () => {
    const run = syntheticRun(16);
    const profile = run.profiles[0]!;
    const withWaits = {
      ...run,
      profiles: [
        {
          ...profile,
          notes: [
            'Rate-limit checks ran last, one at a time; keyprobe waited a full rate-limit window (1100 ms) before each burst, 4 times, so every burst began on a fresh window.',
          ],
          checks: profile.checks.map((c) =>
            c.id === 'rate.recovers'
              ? { ...c, verdict: 'pass' as const, measurements: { probedAfterMs: 1050 } }
              : c.id === 'lifecycle.disabled-key-rejected'
                ? {
                    ...c,
                    verdict: 'pass' as const,
                    measurements: { revocationLatencyMs: 12 },
                    timeline: { kind: 'revocation' as const, budgetMs: 1000, stabilityWindowMs: 2000, points: [] },
                  }
                : c,
          ),
        },
      ],
    };
    const w = imposedWaits(withWaits);
    expect(w.parts['fresh rate windows']).toBe(4400);
    const withTrailingWait = {
      ...withWaits,
      profiles: [
        {
          ...withWaits.profiles[0]!,
          notes: [withWaits.profiles[0]!.notes[0]!.replace(/\.$/, ', and once more after the last one, so the key was left unthrottled.')],
        },
      ],
    };
    expect(imposedWaits(withTrailingWait).parts['fresh rate windows']).toBe(5500);
    expect(w.parts['Retry-After wait']).toBe(1050);
    expect(w.parts['revocation stability window']).toBe(2000);
    expect(w.parts['revocation latency']).toBe(12);
  });
});
