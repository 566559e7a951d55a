// A shard worker runs with a small young generation (src/runner/shards.ts,
// SHARD_YOUNG_GENERATION_MB): V8 gives every isolate a 32 MB nursery by
// default, and three of them (the main thread's and two workers') put a
// two-thread run of 1,000 profiles over 500 MB (bench/memory.md). The worker
// is the real one, which first tells the test the limits its thread was given
// (test/runner/fixtures/heap-reporting-shard-worker.mjs); its shard's checks
// then run over loopback as in any sharded run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/checks/suite.js';
import { loadProfile } from '../../src/config/load-profile.js';
import { resolveSuitePath } from '../../src/paths.js';
import { runSuite } from '../../src/runner/run.js';
import { SHARD_YOUNG_GENERATION_MB } from '../../src/runner/shards.js';
import { SecretRegistry } from '../../src/secrets.js';
import { tempDir } from '../helpers/tmp.js';
import { startShardTargets, type ShardTargets } from './sharded-targets.js';

const HEAP_REPORTING_WORKER = new URL('./fixtures/heap-reporting-shard-worker.mjs', import.meta.url);

interface Reported {
  readonly profiles: number[];
  readonly resourceLimits: { maxYoungGenerationSizeMb?: number };
}

let targets: ShardTargets;
const tmp = tempDir('keyprobe-sharded-heap-');
beforeAll(async () => {
  targets = await startShardTargets(tmp.dir, 2, 0);
});
afterAll(async () => {
  await targets?.close();
  tmp.cleanup();
});

describe('a shard worker thread', () => {
  it('runs with a young generation of SHARD_YOUNG_GENERATION_MB, and its checks as usual', async () => {
    const reported: Reported[] = [];
    const channel = new BroadcastChannel('keyprobe-test-shard-heap');
    channel.onmessage = (event) => reported.push((event as MessageEvent).data as Reported);
    try {
      const result = await runSuite({
        profiles: targets.files.map((f) => loadProfile(f, targets.env)),
        suite: loadSuite(resolveSuitePath('prelaunch', tmp.dir)),
        only: ['auth.valid-key-accepted', 'auth.missing-key-rejected'],
        threads: 2,
        concurrency: 2,
        secrets: new SecretRegistry(),
        workerEntry: HEAP_REPORTING_WORKER,
      });
      // Both threads ran their profile to the end: every check passed.
      expect(result.profiles.flatMap((p) => p.checks.map((c) => `${p.profile.file} ${c.id} ${c.verdict}`))).toEqual(
        targets.files.flatMap((f) => [`${f} auth.valid-key-accepted pass`, `${f} auth.missing-key-rejected pass`]),
      );
    } finally {
      channel.close();
    }
    expect(reported.map((r) => r.profiles).sort()).toEqual([[0], [1]]);
    for (const r of reported) expect(r.resourceLimits.maxYoungGenerationSizeMb).toBe(SHARD_YOUNG_GENERATION_MB);
  });
});
