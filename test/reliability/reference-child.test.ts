// The reference target in a process of its own (test/helpers/reference-child.ts),
// as test/reliability/stability.test.ts leans on it: it answers while the test
// process cannot, its key list is the target's live state (so "nothing left
// behind" still sees a key a run left disabled), and it goes away when closed.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startReferenceChild } from '../helpers/reference-child.js';

/** One request from a separate node process while this one is blocked (spawnSync holds its event loop). */
function statusWhileThisProcessIsBlocked(url: string): { status?: number; timedOut: boolean } {
  const script = `fetch(${JSON.stringify(url)}).then((r) => process.stdout.write(String(r.status)))`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 5_000 });
  return run.stdout ? { status: Number(run.stdout), timedOut: false } : { timedOut: true };
}

describe('the reference target in a child process', () => {
  it('answers while the test process is blocked', async () => {
    const demo = await startReferenceChild();
    try {
      // No key: the target refuses, which proves it answered.
      expect(statusWhileThisProcessIsBlocked(`${demo.env.KEYPROBE_DEMO_TARGET}/v1/agents`)).toEqual({ status: 401, timedOut: false });
    } finally {
      await demo.close();
    }
  });

  it("lists the target's keys as they are now: a key disabled over the management API shows disabled", async () => {
    const demo = await startReferenceChild(['no-rate-limit']);
    try {
      const before = await demo.listKeys();
      expect(before.map((k) => k.id)).toContain(demo.env.KEYPROBE_DEMO_CANARY_KEY_ID);
      expect(before.every((k) => k.enabled)).toBe(true);
      const admin = { authorization: `Bearer ${demo.env.KEYPROBE_DEMO_ADMIN_TOKEN}` };
      const faults = await fetch(`${demo.env.KEYPROBE_DEMO_TARGET}/admin/faults`, { headers: admin });
      expect(Object.keys(((await faults.json()) as { faults: object }).faults)).toEqual(['no-rate-limit']);
      const disable = await fetch(`${demo.env.KEYPROBE_DEMO_TARGET}/admin/keys/${demo.env.KEYPROBE_DEMO_CANARY_KEY_ID}/disable`, {
        method: 'POST',
        headers: admin,
      });
      expect(disable.status).toBe(200);
      const after = await demo.listKeys();
      expect(after.filter((k) => !k.enabled).map((k) => k.id)).toEqual([demo.env.KEYPROBE_DEMO_CANARY_KEY_ID]);
      expect(demo.secrets).toContain(demo.env.KEYPROBE_DEMO_KEY);
    } finally {
      await demo.close();
    }
  });

  it('is gone once closed', async () => {
    const demo = await startReferenceChild();
    await demo.close();
    await expect(fetch(`${demo.env.KEYPROBE_DEMO_TARGET}/v1/agents`)).rejects.toThrow();
    await expect(demo.listKeys()).rejects.toThrow(/exited|closed/);
  });

  it("an unknown fault: the start fails with the target's own message, not a hang", async () => {
    await expect(startReferenceChild(['no-such-fault'])).rejects.toThrow(/exited \(code 1\).*no-such-fault/s);
  });
});
