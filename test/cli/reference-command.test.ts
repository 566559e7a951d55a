// `keyprobe reference` serves the reference target until stopped, and writes
// its admin token (and demo keys) to a 0600 file instead of the terminal.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

describe('keyprobe reference', () => {
  it('serves until aborted; secrets go to the env file only', async () => {
    const tmp = tempDir();
    const controller = new AbortController();
    try {
      const running = runCli(['reference', '--seed', '--fault', 'no-rate-limit', '--env-file', 'ref.env'], {
        cwd: tmp.dir,
        signal: controller.signal,
      });
      const envFile = join(tmp.dir, 'ref.env');
      for (let i = 0; i < 100; i++) {
        try {
          statSync(envFile);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const env = Object.fromEntries([...readFileSync(envFile, 'utf8').matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
      const res = await fetch(`${env.KEYPROBE_TARGET}/v1/agents`, { headers: { authorization: `Bearer ${env.KEYPROBE_KEY}` } });
      expect(res.status).toBe(200);
      const faults = await fetch(`${env.KEYPROBE_TARGET}/admin/faults`, {
        headers: { authorization: `Bearer ${env.KEYPROBE_ADMIN_TOKEN}` },
      });
      expect(((await faults.json()) as { faults: Record<string, unknown> }).faults).toHaveProperty('no-rate-limit');
      controller.abort();
      const run = await running;
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`listening on ${env.KEYPROBE_TARGET}`);
      const secrets = [env.KEYPROBE_KEY!, env.KEYPROBE_ADMIN_TOKEN!];
      expect(findSecrets(secrets, { texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
      await expect(fetch(`${env.KEYPROBE_TARGET}/healthz`)).rejects.toThrow();
    } finally {
      controller.abort();
      tmp.cleanup();
    }
  });
});
