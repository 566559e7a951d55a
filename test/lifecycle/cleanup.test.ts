// Canaries and disabled keys are put back whatever happens: after a pass, a
// fail, and a run interrupted mid-check (Ctrl-C aborts the run's signal;
// cleanup runs on requests not tied to it). Every test lists the target's
// keys afterwards.
import { describe, expect, it } from 'vitest';
import { canariesLeft, disabledKeys, fixture, runChecks, startTarget } from './helpers.js';

describe('canary keys and cleanup', () => {
  it('an interrupted run still deletes the canary it created (Ctrl-C while waiting for expiry)', async () => {
    const target = await startTarget();
    const f = fixture(target);
    const abort = new AbortController();
    const timer = setInterval(() => {
      if (canariesLeft(target).length > 0) abort.abort('SIGINT');
    }, 5);
    try {
      const result = await runChecks(f, ['lifecycle.expired-key-rejected'], { signal: abort.signal });
      expect(result.incomplete).toBe(true);
      expect(result.profiles[0]!.checks[0]).toMatchObject({ verdict: 'error', message: 'interrupted before the check could finish' });
      expect(result.profiles[0]!.notes.join('\n')).toMatch(/cleanup: delete created canary "keyprobe-canary-/);
    } finally {
      clearInterval(timer);
    }
    expect(canariesLeft(target)).toEqual([]);
  });

  it('an interrupted revocation measurement re-enables the declared canary', async () => {
    const target = await startTarget({ faults: { 'revocation-delay': 2000 } });
    const canary = target.createKey({ name: 'crm-prod-agent-call-canary', scopes: ['agents:read'] });
    const f = fixture(target, { canary: { secret: canary.secret, id: canary.id, name: canary.name } });
    const abort = new AbortController();
    const timer = setInterval(() => {
      if (disabledKeys(target).length > 0) setTimeout(() => abort.abort('SIGTERM'), 100);
    }, 5);
    try {
      const result = await runChecks(f, ['lifecycle.disabled-key-rejected'], { signal: abort.signal });
      expect(result.incomplete).toBe(true);
      expect(
        result.profiles[0]!.checks[0]!.lifecycleActions?.map((a) => `${a.action}:${a.outcome}${a.detached ? ' (detached)' : ''}`),
      ).toEqual(['disable:done', 'enable:done (detached)']);
    } finally {
      clearInterval(timer);
    }
    expect(disabledKeys(target)).toEqual([]);
  });

  it("acting on the profile's own key needs the opt-in, and the key is re-enabled afterwards", async () => {
    const target = await startTarget();
    const withoutCreate = (extra: Record<string, unknown>) => {
      const f0 = fixture(target);
      const lc = f0.profile.lifecycle!;
      return { ...lc, http: { ...lc.http!, create: undefined }, stabilityWindowMs: 200, ...extra };
    };
    // Without a canary, a create action or the opt-in, nothing is disabled.
    const refused = fixture(target, { lifecycle: withoutCreate({}) });
    const skipped = await runChecks(refused, ['lifecycle.disabled-key-rejected']);
    expect(skipped.profiles[0]!.checks[0]).toMatchObject({ verdict: 'skip' });
    expect(skipped.profiles[0]!.checks[0]!.message).toMatch(
      /declare a spare `canary` key, give the http adapter create and delete actions, or set lifecycle.actOnOwnKey/,
    );

    const own = fixture(target, { lifecycle: withoutCreate({ actOnOwnKey: true }) });
    const result = await runChecks(own, ['lifecycle.disabled-key-rejected', 'auth.valid-key-accepted']);
    const [valid, disabled] = [
      result.profiles[0]!.checks.find((c) => c.id === 'auth.valid-key-accepted')!,
      result.profiles[0]!.checks.find((c) => c.id === 'lifecycle.disabled-key-rejected')!,
    ];
    expect(disabled.verdict, disabled.message).toBe('pass');
    expect(disabled.measurements.subject).toBe('own key');
    expect(valid.verdict).toBe('pass');
    expect(disabledKeys(target)).toEqual([]);
    expect(target.getKey(own.key.id)!.enabled).toBe(true);
  });

  it('a failing check still deletes its canary (rotation-no-expiry)', async () => {
    const target = await startTarget({ faults: { 'rotation-no-expiry': true } });
    const f = fixture(target);
    const result = await runChecks(f, ['lifecycle.rotated-key']);
    expect(result.profiles[0]!.checks[0]!.verdict).toBe('fail');
    expect(canariesLeft(target)).toEqual([]);
  });
});
