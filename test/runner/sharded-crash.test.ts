// A worker thread that crashes (src/runner/shards.ts) never makes a pass and
// never hangs the run: every check it had not reported is an error, every
// cleanup it had registered and not reported is a failed one (the key may be
// left as the check changed it: named, with the way to restore it), the run
// is not verified (exit 3), and the other threads' profiles are unaffected.
// The worker is the real one, made to throw right after its first cleanup
// is registered (test/runner/fixtures/crashing-shard-worker.mjs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../src/checks/suite.js';
import { loadProfile } from '../../src/config/load-profile.js';
import { EXIT } from '../../src/errors.js';
import { resolveSuitePath } from '../../src/paths.js';
import { runSuite } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';
import { tempDir } from '../helpers/tmp.js';
import { startShardTargets, type ShardTargets } from './sharded-targets.js';

const CRASHING_WORKER = new URL('./fixtures/crashing-shard-worker.mjs', import.meta.url);
const HANGING_WORKER = new URL('./fixtures/hanging-shard-worker.mjs', import.meta.url);

let targets: ShardTargets;
const tmp = tempDir('keyprobe-sharded-crash-');
beforeAll(async () => {
  targets = await startShardTargets(tmp.dir, 4, 0);
});
afterAll(async () => {
  await targets?.close();
  tmp.cleanup();
});

describe('a worker thread that crashes', () => {
  it('leaves its unreported checks in error and its unreported cleanups failed, and the run not verified', async () => {
    const profiles = targets.files.map((f) => loadProfile(f, targets.env));
    const lines: string[] = [];
    const t0 = performance.now();
    const result = await runSuite({
      profiles,
      suite: loadSuite(resolveSuitePath('prelaunch', tmp.dir)),
      only: ['auth.valid-key-accepted', 'lifecycle.disabled-key-rejected'],
      threads: 2,
      concurrency: 4,
      secrets: new SecretRegistry(),
      workerEntry: CRASHING_WORKER,
      observer: { checkFinished: (p, c) => lines.push(`${p.keyName} ${c.id} ${c.verdict}: ${c.message}`) },
    });
    // No hang: the run ends as soon as the other shard does.
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(result.exitCode).toBe(EXIT.unverified);
    expect(result.verdict).toBe('error');
    expect(result.profiles.map((p) => p.profile.file)).toEqual(targets.files);

    // Profile 0's shard: every profile it had not finished says why, and its unreported checks are errors.
    const stopped = result.profiles.filter((p) =>
      p.notes.some((n) => n.startsWith("the worker thread running this profile's checks stopped")),
    );
    expect(stopped.map((p) => p.profile.file)).toContain(targets.files[0]);
    for (const p of stopped) {
      const lifecycle = p.checks.find((c) => c.id === 'lifecycle.disabled-key-rejected')!;
      expect(lifecycle.verdict).toBe('error');
      expect(lifecycle.message).toMatch(
        /could not verify: the worker thread running this profile's checks stopped before it finished: it failed \(a bug in the shard worker\)/,
      );
    }
    // The cleanups it had registered (one, or both of its profiles'): failed, each key named with the state it may be
    // in and how to put it back, and said in its profile's notes.
    const failed = result.cleanup!.records.filter((r) => r.outcome === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const record of failed) {
      const owner = stopped.find((p) => p.profile.keyName === record.profile)!;
      expect(owner.notes.join('\n')).toMatch(/lifecycle\.disabled-key-rejected: CLEANUP FAILED: /);
      expect(record).toMatchObject({ check: 'lifecycle.disabled-key-rejected', action: 'enable', subject: 'declared canary' });
      expect(record.leftState).toMatch(/^disabled/);
      expect(record.restore).toMatch(/enable/);
    }
    expect(result.cleanup!.complete).toBe(false);
    // Every result was told to the observer, the synthetic errors too.
    expect(lines).toHaveLength(profiles.length * 2);

    // The other shard's profiles ran to the end as usual.
    const otherShard = result.profiles.filter((p) => p.checks.every((c) => c.verdict === 'pass'));
    expect(otherShard.length).toBeGreaterThanOrEqual(2);
    for (const p of otherShard) expect(p.requestsSent).toBeGreaterThan(0);
  });

  it('that hangs is stopped after an interrupt, once its grace is over: its cleanups failed, the others done', async () => {
    const profiles = targets.files.map((f) => loadProfile(f, targets.env));
    const controller = new AbortController();
    const t0 = performance.now();
    let abortedAt = 0;
    // Interrupted once profile 0's thread has hung (right after it registered a cleanup).
    const hung = new BroadcastChannel('keyprobe-test-shard-hung');
    hung.onmessage = () => {
      abortedAt = performance.now();
      controller.abort('SIGINT');
    };
    const result = await runSuite({
      profiles,
      suite: loadSuite(resolveSuitePath('prelaunch', tmp.dir)),
      only: ['lifecycle.disabled-key-rejected'],
      threads: 2,
      concurrency: 4,
      secrets: new SecretRegistry(),
      workerEntry: HANGING_WORKER,
      stopGraceMs: 1500,
      signal: controller.signal,
    }).finally(() => hung.close());
    expect(abortedAt).toBeGreaterThan(0);
    // Stopped after its grace, not waited for for ever.
    expect(performance.now() - abortedAt).toBeLessThan(10_000);
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(result.incomplete).toBe(true);
    expect(result.exitCode).toBe(EXIT.unverified);
    const stopped = result.profiles.filter((p) =>
      p.notes.some((n) => /stopped before it finished: it had not finished its cleanups 1\.5 s after the interrupt/.test(n)),
    );
    expect(stopped.map((p) => p.profile.file)).toContain(targets.files[0]);
    // The hung thread's cleanups: failed, never silent; the other thread's: done and verified.
    const records = result.cleanup!.records;
    for (const p of result.profiles) {
      const mine = records.filter((r) => r.profile === p.profile.keyName);
      if (stopped.includes(p)) expect(mine.every((r) => r.outcome === 'failed')).toBe(true);
      // (None when the interrupt came before it disabled anything.)
      else expect(mine.every((r) => r.outcome === 'verified')).toBe(true);
    }
    expect(records.filter((r) => r.outcome === 'failed').length).toBeGreaterThanOrEqual(1);
  });
});
