// `keyprobe list --verbose` and `keyprobe list <check-id>`: each check's
// practice, params (name, type, default, description) and every reason it
// would skip, read from the check itself (its params schema, its `unmet`).
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CHECKS, findCheck } from '../../src/checks/index.js';
import { profileSchema } from '../../src/config/profile-schema.js';
import type { CheckReference } from '../../src/schema/check-reference.js';
import { runCli } from '../helpers/cli.js';

describe('keyprobe list <check-id>', () => {
  it('shows one check in full: practice, every param with type and default, and each field whose absence skips it', async () => {
    const r = await runCli(['list', 'rate.recovers']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rate\.recovers /);
    expect(r.stdout).toContain('practice: Reverse validation');
    expect(r.stdout).toMatch(/ {2}marginMs: integer ≥ 0, default 100/);
    expect(r.stdout).toMatch(/ {2}maxWaitSeconds: number > 0, default 120/);
    expect(r.stdout).toMatch(/ {2}rateLimit: the profile declares no rateLimit/);
    expect(r.stdout.match(/^\S/gm)).toHaveLength(1); // one check only
  });

  it('says what skips a check only when its own rules say so (a profile meeting none of them would skip it)', async () => {
    const r = await runCli(['list', 'rate.per-key-isolation', '--json']);
    const ref = JSON.parse(r.stdout) as CheckReference;
    expect(ref.skipsWhen.map((s) => s.field)).toEqual(['rateLimit', 'secondKey', 'rateLimit.scope']);
    // Each rule is the check's own: a profile with exactly that lack makes the check skip with those words.
    const check = findCheck('rate.per-key-isolation')!;
    const shared = profileSchema.parse({
      key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: 'x'.repeat(32) },
      target: { origin: 'https://api.example.com' },
      allowed: ['GET /v1/agents'],
      secondKey: { secret: 'y'.repeat(32) },
      rateLimit: { limit: 5, probe: 'GET /v1/agents', scope: 'client' },
    });
    expect(check.unmet!(shared).map((u) => u.message)).toEqual([ref.skipsWhen[2]!.message]);
  });

  it('refuses an unknown check id with exit 2 and no stack trace', async () => {
    const r = await runCli(['list', 'rate.nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown check "rate\.nope"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('keyprobe list --verbose', () => {
  it('lists every check with its params as their schemas define them', async () => {
    const r = await runCli(['list', '--verbose', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const refs = JSON.parse(r.stdout) as CheckReference[];
    expect(refs.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const check of CHECKS) {
      const ref = refs.find((c) => c.id === check.id)!;
      const shape = (check.params as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
      expect(
        ref.params.map((p) => p.name),
        check.id,
      ).toEqual(Object.keys(shape));
      for (const p of ref.params) {
        const parsed = shape[p.name]!.safeParse(undefined);
        if ('default' in p) expect(parsed.success && parsed.data, `${check.id}.${p.name}`).toEqual(p.default);
      }
      expect(ref.practice, check.id).toBeTruthy();
    }
  });

  it('prints params and skip rules under each check; plain list stays two lines a check', async () => {
    const verbose = await runCli(['list', '--verbose']);
    expect(verbose.stdout).toMatch(/lifecycle\.rotated-key[\s\S]*maxGraceSeconds: number > 0, default 60/);
    expect(verbose.stdout).toMatch(/authz\.unauthorized-resource-denied[\s\S]*denied: the profile lists no denied resources/);
    expect(verbose.stdout).toMatch(/auth\.valid-key-accepted[\s\S]*?needs: nothing beyond key, target and allowed/);
    const plain = await runCli(['list']);
    expect(plain.stdout.trim().split('\n')).toHaveLength(2 * CHECKS.length);
  });
});
