// lifecycle.rotated-key when the platform refuses the old key late, or when
// keyprobe itself stalls while it watches: an old key still alive after the
// tolerance fails only on a probe accepted after it, and a gap keyprobe could
// not see into is an error, never a fail. The stall is a deliberate busy-wait in
// this process, so the file runs in the timing group, not beside the wall-clock
// ones (test/setup/timing-files.ts). Also: "refused inside its grace" is said
// only when the refusal came before the grace could have ended.
import { expect, it } from 'vitest';
import { startAdminProxy } from '../lifecycle/admin-proxy.js';
import { fixture, runChecks, startTarget } from '../lifecycle/helpers.js';

// The profile declares 1 s of grace; the target keeps the old key `actualGrace` s
// (a platform that propagates a rotation late). keyprobe's tolerance is 1000 ms.
async function rotateWith(actualGrace: number, stall?: { afterOldKeyProbes: number; ms: number }) {
  const target = await startTarget();
  const base = fixture(target);
  const lifecycle = base.profile.lifecycle!;
  const rotate = { method: 'POST', path: '/admin/keys/{{id}}/rotate', body: { gracePeriodSeconds: actualGrace } };
  const f = fixture(target, { lifecycle: { ...lifecycle, rotationGraceSeconds: 1, http: { ...lifecycle.http, rotate } } });
  // keyprobe's own process stalls (a busy machine) once the canary has had this many requests:
  // before rotation, new key, old key during the grace, then the old key's probes after it.
  const canaryRequests = () => {
    const canary = target.listKeys().find((k) => k.name.startsWith('keyprobe-canary'));
    return canary ? (target.stats().byKey[canary.id] ?? 0) : 0;
  };
  const watcher = stall
    ? setInterval(() => {
        if (canaryRequests() < 3 + stall.afterOldKeyProbes) return;
        clearInterval(watcher);
        const end = performance.now() + stall.ms;
        while (performance.now() < end);
      }, 1)
    : undefined;
  try {
    const result = await runChecks(f, ['lifecycle.rotated-key']);
    return result.profiles[0]!.checks[0]!;
  } finally {
    clearInterval(watcher);
  }
}

it('a late refusal is a fail only when an old-key probe was accepted after the tolerance, never because keyprobe paused', async () => {
  // Refused 300 ms after the declared grace: within the tolerance.
  const inTime = await rotateWith(1.3);
  expect(inTime.verdict, inTime.message).toBe('pass');
  // The same platform, but keyprobe stalls 1.2 s right after its first old-key probe after the grace:
  // it cannot tell when the key was refused in between, so it says so rather than fail.
  const stalled = await rotateWith(1.3, { afterOldKeyProbes: 1, ms: 1200 });
  expect(stalled.verdict, stalled.message).toBe('error');
  expect(stalled.message).toMatch(/could not judge/);
  // Still accepted 1.5 s after the declared grace: proven by the probes after the tolerance.
  const late = await rotateWith(2.5);
  expect(late.verdict, late.message).toBe('fail');
  expect(late.message).toMatch(/still accepted/);
});

it('an old key refused right after a slow rotate call is not "refused inside its grace": the grace may have begun when the call was sent', async () => {
  const target = await startTarget();
  const lifecycle = fixture(target).profile.lifecycle!;
  // The platform starts the 1 s grace as it takes the call, and answers 1.1 s later:
  // the old key is refused when keyprobe first tries it, after the grace.
  const proxy = await startAdminProxy(target);
  proxy.script('POST', /\/rotate$/, { forward: true, delayMs: 1100 });
  const slow = fixture(target, {
    lifecycle: { ...lifecycle, rotationGraceSeconds: 1, http: { ...lifecycle.http, origin: proxy.origin } },
  });
  const afterSlowCall = (await runChecks(slow, ['lifecycle.rotated-key'])).profiles[0]!.checks[0]!;
  expect(afterSlowCall.verdict, afterSlowCall.message).toBe('pass');
  expect(afterSlowCall.advisories.join('\n')).not.toMatch(/already refused/);
  // A platform that ignores the declared grace (2 s, so a busy machine has time to
  // see it inside) and refuses at once is said to.
  const rotate = { method: 'POST', path: '/admin/keys/{{id}}/rotate', body: { gracePeriodSeconds: 0 } };
  const early = fixture(target, { lifecycle: { ...lifecycle, rotationGraceSeconds: 2, http: { ...lifecycle.http, rotate } } });
  const refusedEarly = (await runChecks(early, ['lifecycle.rotated-key'])).profiles[0]!.checks[0]!;
  expect(refusedEarly.verdict, refusedEarly.message).toBe('pass');
  expect(refusedEarly.advisories.join('\n')).toMatch(
    /the old key was already refused [\d.]+ ms after rotation, inside its 2 s grace period/,
  );
});
