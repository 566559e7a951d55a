// rate.per-key-isolation when the burst drains slowly: the target (like a
// proxy congested by the burst) holds the key's throttled answers from the
// burst's first moments before sending them. The limiter judged them at once,
// but the burst is over only when they come back, so the second key's calls
// leave long after the burst's last throttled call did. Timed from that call,
// a per-key limiter read as inconclusive (issue #15's CI run on a loaded
// runner: "answered 495 ms after the key's last throttled call left"). A fresh
// throttled call with the key just before the second key's calls proves the
// limiter full again, so a per-key limiter passes; a shared one still must
// never pass.
import { expect, it } from 'vitest';
import type { CheckResult } from '../../src/result.js';
import { closedAfterEach } from '../helpers/servers.js';
import { isolationCheck, leakyBucket, twoKeyTarget } from './isolation-targets.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_drain_${base62(24)}`;
const SECOND = `kp_drain_${base62(24)}`;
/** Calls a full bucket lets through at once, and calls per second it gives back (nginx's rate=20r/s burst=20). */
const LIMIT = 20;
/**
 * How long the burst's throttled answers are held: longer than the ten calls the
 * second try may send cover from the burst's proof (nine refills of 45.5 ms).
 */
const HOLD_MS = 500;
/** Throttled answers are held while they come within this long of a burst's first throttle. */
const HELD_FOR_MS = 100;
/** A throttle this long after the one before starts a new burst (a try after a fresh window). */
const NEW_BURST_AFTER_MS = 900;

const servers = closedAfterEach();

/** A target limited per key or for both keys (`shared`), whose burst's throttled answers drain HOLD_MS late. */
async function slowDrainTarget(shared: boolean): Promise<string> {
  const bucket = leakyBucket(LIMIT);
  let burstStart = Number.NEGATIVE_INFINITY;
  let lastThrottle = Number.NEGATIVE_INFINITY;
  return twoKeyTarget(servers, { key: KEY, second: SECOND }, (auth, reply) => {
    const ok = bucket.take(shared ? 'all' : auth);
    const send = () => reply(ok);
    if (ok) return send();
    const now = performance.now();
    if (now - lastThrottle > NEW_BURST_AFTER_MS) burstStart = now;
    lastThrottle = now;
    if (now - burstStart < HELD_FOR_MS) setTimeout(send, HOLD_MS);
    else send();
  });
}

function isolation(origin: string): Promise<CheckResult> {
  return isolationCheck(origin, { key: KEY, second: SECOND }, LIMIT);
}

// Before the fresh proof, both tries were inconclusive ("answered 495 ms after the key's last
// throttled call left"). A second try is allowed: on a loaded runner the key's own refill proof
// (src/checks/refill-proof.ts) can miss on the first one (a CI run at load); why is in the measurements.
it('a leaky bucket per key whose burst drains 500 ms late: a pass, proven full again just before the second key', async () => {
  const check = await isolation(await slowDrainTarget(false));
  expect(check.verdict, `${check.message} (first try: ${String(check.measurements.firstTryInconclusive)})`).toBe('pass');
  expect(check.message).toMatch(/all \d+ calls with the declared second key, sent at once, were served/);
  if (check.measurements.attempts === undefined) expect(check.measurements.firstTryInconclusive).toBeUndefined();
  else expect(check.measurements.firstTryInconclusive).toEqual(expect.any(String));
});

it('a leaky bucket both keys share whose burst drains 500 ms late: never a pass', async () => {
  const check = await isolation(await slowDrainTarget(true));
  expect(check.verdict, check.message).not.toBe('pass');
  if (check.verdict === 'fail') expect(check.message).toMatch(/throttled too \(\d+ of \d+ calls: 429 .* the limit is shared/);
  else expect(check.message).toMatch(/inconclusive$/);
});
