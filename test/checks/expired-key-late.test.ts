// lifecycle.expired-key-rejected against a platform that takes the expiry
// keyprobe offers as a whole second, rounded up (as the HAProxy recipe does with
// KEYPROBE_EXPIRES_AT_EPOCH_SECONDS), while keyprobe itself stalls around that
// expiry (a busy runner; here a deliberate busy-wait in this process, so the
// file runs in the timing group). The platform refuses the canary exactly at
// its expiry: a right verdict is a pass where the create answer states that
// expiry, and, where nothing says which expiry the platform set, an error that
// names the rounding — never a lag the platform did not have.
import { expect, it } from 'vitest';
import type { CheckResult } from '../../src/result.js';
import { startAdminProxy } from '../lifecycle/admin-proxy.js';
import { fixture, runChecks, startTarget } from '../lifecycle/helpers.js';

/** The create answer as the platform gave it, minus its expiry. */
function withoutExpiry(forwarded: unknown): unknown {
  const { expiresAt: _expiresAt, ...rest } = forwarded as Record<string, unknown>;
  return rest;
}

/** Resolves just after the wall clock passes a whole second, so the rounded-up expiry is most of a second after the lifetime. */
async function justAfterWholeSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
}

async function expireWithStall(o: { answerStatesExpiry: boolean }): Promise<CheckResult> {
  const target = await startTarget();
  const lifecycle = fixture(target).profile.lifecycle!;
  const admin = await startAdminProxy(target);
  if (!o.answerStatesExpiry) admin.script('POST', /^\/admin\/keys$/, { forward: true, body: withoutExpiry });
  // The platform is given only the whole-second form of the expiry.
  const create = { method: 'POST', path: '/admin/keys', body: { name: '{{name}}', scopes: '{{scopes}}', expiresAt: '{{expiresAt}}' } };
  const f = fixture(target, { lifecycle: { ...lifecycle, http: { ...lifecycle.http, origin: admin.origin, create } } });
  // From 50 ms before the canary's expiry keyprobe's process is busy, so its next probe is late: until 600 ms
  // after the expiry where the create answer states it. Where nothing states it, the check counts from the
  // lifetime keyprobe asked for (create returned + 1 s, R) and allows 1 s, and the rounding to the platform's
  // whole second E may explain E - R more: the refusal must be seen within (R + 1 s, E + 1 s] for the error this
  // file is about. The stall ends in the middle of that window, wherever the run's setup put the create
  // within its second (a CI run at load saw the setup take ~700 ms, E - R ~300 ms: E + 600 ms read as a pass).
  const watcher = setInterval(() => {
    const canary = target.listKeys().find((k) => k.name.startsWith('keyprobe-canary'));
    if (!canary?.expiresAt || Date.now() < Date.parse(canary.expiresAt) - 50) return;
    clearInterval(watcher);
    const platformExpiry = Date.parse(canary.expiresAt);
    // The platform stamped createdAt before the create call returned: R is a little later than this.
    const requested = Date.parse(canary.createdAt) + 1000;
    const end = o.answerStatesExpiry ? platformExpiry + 600 : (requested + platformExpiry) / 2 + 1000;
    while (Date.now() < end);
  }, 1);
  try {
    await justAfterWholeSecond();
    const result = await runChecks(f, ['lifecycle.expired-key-rejected']);
    return result.profiles[0]!.checks[0]!;
  } finally {
    clearInterval(watcher);
  }
}

it('an expiry the create answer states is the one the lag counts from: refused at it, seen late by a stalled keyprobe, is a pass', async () => {
  const r = await expireWithStall({ answerStatesExpiry: true });
  expect(r.verdict, r.message).toBe('pass');
  expect(r.measurements.expiryVerifiedFrom).toBe('the create answer');
  expect(Date.parse(r.measurements.expiresAt as string) % 1000).toBe(0);
  // The first refused probe left after the stall, about 600 ms after the expiry, not 600 ms plus the rounding.
  expect(r.measurements.rejectedAfterExpiryMs as number).toBeLessThan(1000);
});

it('an expiry nobody states is not judged late because of the whole-second rounding: an error that names it', async () => {
  const r = await expireWithStall({ answerStatesExpiry: false });
  expect(r.verdict, r.message).toBe('error');
  expect(r.message).toMatch(
    /^could not judge the expiry within 1 s: the canary was refused with 401 Unauthorized [\d.]+ m?s after its 1 s lifetime ended/,
  );
  expect(r.message).toMatch(
    /also offered its expiry rounded up to a whole second \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z, up to [\d.]+ m?s later\)/,
  );
  expect(r.message).toMatch(/state it in the create answer \(expiresAt\) or declare target\.introspection$/);
});
