// An interrupted sharded run is as clean as an interrupted single-threaded
// one (test/reliability/interrupt.test.ts): the real bin runs four profiles
// on two worker threads (--threads 2), SIGINT arrives while every profile
// holds its canary disabled in a revocation's stability window, and every
// worker runs its cleanups before the run ends: exit 3, partial reports
// marked incomplete, every cleanup reported and verified, every key on the
// target as it was before.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash } from '../reliability/helpers.js';
import { keyStates } from '../reliability/reference-harness.js';
import { startShardTargets, type ShardTargets } from './sharded-targets.js';

const BIN = join(PACKAGE_ROOT, 'dist', 'cli.js');
/** From the signal to the child's exit: cleanups and reports, with room for a busy machine. */
const EXIT_WITHIN_MS = 15_000;
const PROFILES = 4;

let targets: ShardTargets;
let child: ChildProcess | undefined;
const tmp = tempDir('keyprobe-sharded-int-');
beforeAll(async () => {
  // A long stability window, so the signal lands inside every profile's.
  targets = await startShardTargets(tmp.dir, PROFILES, 0, { stabilityWindowMs: 5000 });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await targets?.close();
  tmp.cleanup();
});

describe('a sharded run interrupted', () => {
  it('runs every worker cleanup before it ends, and reports them all', async () => {
    const before = keyStates(targets.perKey.target.listKeys());
    const out = join(tmp.dir, 'out');
    child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        ...targets.files,
        '--threads',
        '2',
        '--verbose',
        '--only',
        'auth.valid-key-accepted,lifecycle.disabled-key-rejected',
        '--out',
        out,
      ],
      { cwd: tmp.dir, env: { PATH: process.env.PATH, NO_COLOR: '1', ...targets.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let signalledAt = 0;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Once every profile is disabling its canary, and a moment later: each is inside its (5 s) stability window.
      if (!signalledAt && (stdout.match(/disabling the declared canary/g) ?? []).length >= PROFILES) {
        signalledAt = -1;
        setTimeout(() => {
          signalledAt = performance.now();
          child!.kill('SIGINT');
        }, 500);
      }
    });
    const code = await exited;
    const exitAfterSignalMs = performance.now() - signalledAt;
    const run = { stdout, stderr };
    expect(signalledAt, `the moment never came:\n${stdout}\n${stderr}`).toBeGreaterThan(0);
    expectNoCrash(run);
    expect(stderr).toContain('SIGINT received');
    expect(code).toBe(3);
    expect(exitAfterSignalMs).toBeLessThan(EXIT_WITHIN_MS);

    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
    expect(result.incomplete).toBe(true);
    expect(result.verdict).toBe('error');
    expect(result.profiles.map((p) => p.profile.file)).toEqual(targets.files);
    for (const p of result.profiles) {
      const lifecycle = p.checks.find((c) => c.id === 'lifecycle.disabled-key-rejected')!;
      expect(lifecycle.verdict).toBe('error');
      expect(lifecycle.message).toMatch(/interrupted/);
    }
    // One re-enable per profile, on both threads, each seen to hold.
    expect(result.cleanup!.records.map((r) => `${r.profile} ${r.action} ${r.outcome}`).sort()).toEqual(
      result.profiles.map((p) => `${p.profile.keyName} enable verified`).sort(),
    );
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/name="incomplete" value="true"/);
    // Nothing left behind on the platform, no secret in anything written or printed.
    expect(keyStates(targets.perKey.target.listKeys())).toEqual(before);
    expect(findSecrets(targets.secrets, { dirs: [out], texts: run })).toEqual([]);
  });
});
