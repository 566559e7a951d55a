// The safety invariant end to end: the whole prelaunch suite through the CLI
// (`keyprobe demo`), healthy and with the faults that make the target echo
// keys and crash on bad ones; everything printed and every file written is
// scanned for every secret the run used (in every form). None is found.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nearMissVariants } from '../../src/checks/auth.near-miss-key-rejected.js';
import type { Demo } from '../../src/demo/seed.js';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';
import { REQUEST_CASES } from './request-cases.js';
import { PRELAUNCH_SUITE } from './run-case.js';
import { loadSuite } from '../../src/checks/suite.js';

// The demo makes its keys inside the command; keep a handle on each demo so
// the test knows every secret it made.
const demos: Demo[] = [];
vi.mock('../../src/demo/seed.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/demo/seed.js')>();
  return {
    ...real,
    startDemo: async (...args: Parameters<typeof real.startDemo>) => {
      const demo = await real.startDemo(...args);
      demos.push(demo);
      return demo;
    },
  };
});

// Every secret any registry of the run learns (rotated canaries, near misses,
// random keys…) is kept too, so the scan covers secrets made during the run.
const registered = new Set<string>();
vi.mock('../../src/secrets.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/secrets.js')>();
  class RecordingRegistry extends real.SecretRegistry {
    override add(secret: string, label?: string): void {
      if (secret) registered.add(secret);
      super.add(secret, label);
    }
  }
  return { ...real, SecretRegistry: RecordingRegistry };
});

/** The request-phase checks, for the fault runs: the faults there bend request behaviour only. */
const REQUEST_ONLY = [
  '--only',
  loadSuite(PRELAUNCH_SUITE)
    .checks.filter((p) => p.check.phase === 'request')
    .map((p) => p.check.id)
    .join(','),
];

describe('no secret in anything a CLI run produces', () => {
  const tmp = tempDir('keyprobe-cli-secrets-');
  afterEach(() => {
    demos.length = 0;
    registered.clear();
  });

  for (const faults of [[], ['key-in-error', 'leaky-denial'], ['server-error-on-bad-key', 'query-key-accepted']]) {
    it(`demo ${faults.length ? `--fault ${faults.join(',')}` : '(healthy)'}`, async () => {
      const out = `${tmp.dir}/${faults.join('-') || 'healthy'}`;
      // The healthy run is the whole suite (lifecycle and rate checks make and rotate keys); the fault runs are the request phase.
      const args = ['demo', '--out', out, '--verbose', ...faults.flatMap((f) => ['--fault', f]), ...(faults.length ? REQUEST_ONLY : [])];
      const run = await runCli(args);
      expect(demos).toHaveLength(1);
      const demo = demos[0]!;
      // Every secret of the run: the demo's keys and admin token, the near misses derived from the key, and all the run registered.
      const secrets = [...new Set([...demo.secrets, ...nearMissVariants(demo.env.KEYPROBE_DEMO_KEY!).map((v) => v.secret), ...registered])];
      // The recording registry saw the run's secrets: the profile's, five near misses, a random key.
      expect(registered.size).toBeGreaterThanOrEqual(10);
      expect(readdirSync(out).length).toBeGreaterThan(0);
      expect(findSecrets(secrets, { dirs: [out], texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
      // The run did happen: healthy passes, each fault set fails.
      expect(run.stdout).toContain('auth.near-miss-key-rejected');
      if (faults.length === 0)
        for (const id of REQUEST_CASES.map((c) => c.expectFail))
          expect(run.stdout).toMatch(new RegExp(`PASS\\s+${id.replace(/\./g, '\\.')} `));
      else expect(run.code).toBe(1);
    });
  }

  it('cleans up', () => {
    tmp.cleanup();
  });
});
