// `keyprobe reference` serves the reference target until stopped, and writes
// its admin token (and demo keys) to a 0600 file instead of the terminal:
// always 0600, written whole or not at all, under KEYPROBE_DEMO_* names that
// no real profile or lifecycle command reads.
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { findSecrets } from '../helpers/scan.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let controller: AbortController;
beforeEach(() => {
  tmp = tempDir();
  controller = new AbortController();
});
afterEach(() => {
  controller.abort();
  tmp.cleanup();
});

/** Starts `keyprobe reference` and waits until the env file holds the admin token. */
async function startReference(args: string[], envFile: string) {
  const running = runCli(['reference', ...args], { cwd: tmp.dir, signal: controller.signal });
  let env: Record<string, string> = {};
  for (let i = 0; i < 250 && !env.KEYPROBE_DEMO_ADMIN_TOKEN; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      env = Object.fromEntries([...readFileSync(envFile, 'utf8').matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]));
    } catch {
      // not written yet
    }
  }
  return { running, env };
}

describe('keyprobe reference', () => {
  it('serves until aborted; secrets go to the env file only, under KEYPROBE_DEMO_* names', async () => {
    const envFile = join(tmp.dir, 'ref.env');
    const { running, env } = await startReference(['--seed', '--fault', 'no-rate-limit', '--write-env', 'ref.env'], envFile);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    // Nothing a real profile or a lifecycle command reads: KEYPROBE_KEY_ID in a sourced shell would point a
    // command adapter's canary actions at the demo's own key.
    expect(Object.keys(env).length).toBeGreaterThan(5);
    for (const name of Object.keys(env)) expect(name).toMatch(/^KEYPROBE_DEMO_/);
    const res = await fetch(`${env.KEYPROBE_DEMO_TARGET}/v1/agents`, { headers: { authorization: `Bearer ${env.KEYPROBE_DEMO_KEY}` } });
    expect(res.status).toBe(200);
    const faults = await fetch(`${env.KEYPROBE_DEMO_TARGET}/admin/faults`, {
      headers: { authorization: `Bearer ${env.KEYPROBE_DEMO_ADMIN_TOKEN}` },
    });
    expect(((await faults.json()) as { faults: Record<string, unknown> }).faults).toHaveProperty('no-rate-limit');
    controller.abort();
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`listening on ${env.KEYPROBE_DEMO_TARGET}`);
    expect(run.stdout).toContain('run `. ref.env`');
    const secrets = [env.KEYPROBE_DEMO_KEY!, env.KEYPROBE_DEMO_ADMIN_TOKEN!];
    expect(findSecrets(secrets, { texts: { stdout: run.stdout, stderr: run.stderr } })).toEqual([]);
    await expect(fetch(`${env.KEYPROBE_DEMO_TARGET}/healthz`)).rejects.toThrow();
  });

  it('an existing env file readable by others is replaced by a 0600 one', async () => {
    const envFile = join(tmp.dir, '.keyprobe-reference.env');
    writeFileSync(envFile, "export OLD='x'\n");
    chmodSync(envFile, 0o644);
    const { running, env } = await startReference([], envFile);
    expect(env.KEYPROBE_DEMO_ADMIN_TOKEN).toBeDefined();
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).not.toContain('OLD');
    controller.abort();
    expect((await running).code).toBe(0);
  });

  it('a symbolic link at the env file path is replaced, not followed', async () => {
    const victim = tmp.file('victim.txt', 'keep me\n');
    chmodSync(victim, 0o644);
    const envFile = join(tmp.dir, 'ref.env');
    symlinkSync(victim, envFile);
    const { running, env } = await startReference(['--write-env', 'ref.env'], envFile);
    expect(env.KEYPROBE_DEMO_ADMIN_TOKEN).toBeDefined();
    expect(lstatSync(envFile).isSymbolicLink()).toBe(false);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    controller.abort();
    expect((await running).code).toBe(0);
  });

  it('--env-file (taken by Node.js 20 itself) is refused with the new name', async () => {
    const run = await runCli(['reference', '--env-file', 'x.env'], { cwd: tmp.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--env-file is now --write-env');
    expect(() => statSync(join(tmp.dir, 'x.env'))).toThrow();
  });
});
