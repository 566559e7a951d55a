// rate.per-key-isolation at a small limit (5 a window). A fixed window both
// keys share that resets just before the second key's calls serves them in its
// new window; the key's re-check after them is how a reset shows: a window that
// reset serves every one of the re-check's calls. But the re-check sends at
// least three (a leaky bucket per key hands a late re-check one refilled call:
// per-key-isolation-refill.test.ts), and 3 + 3 is more than 5: the reset window
// served two, throttled the third, and the check passed — a false pass. The
// check now sends the second key one more call once the key has met its
// throttle: a window both keys share is full then, so it is throttled
// (inconclusive); a second key with its own budget is served.
import { expect, it } from 'vitest';
import type { CheckResult } from '../../src/result.js';
import { base62 } from '../helpers/random-keys.js';
import { closedAfterEach } from '../helpers/servers.js';
import { isolationCheck, leakyBucket, twoKeyTarget } from './isolation-targets.js';

const KEY = `kp_small_${base62(24)}`;
const SECOND = `kp_small_${base62(24)}`;
/** Calls a window allows. */
const LIMIT = 5;
/** A try takes a fresh window (a second) after the one before. */
const RESET_AT_MOST_EVERY_MS = 800;

const servers = closedAfterEach();

/**
 * A fixed window of LIMIT calls, one per key or one for both (`shared`), that starts
 * a new window the moment the second key's first call after a throttle arrives (once
 * a try: not again within RESET_AT_MOST_EVERY_MS): the unluckiest reset, deterministic.
 * Windows are otherwise a second long.
 */
async function resetWindowTarget(shared: boolean): Promise<{ origin: string; resets: () => number }> {
  const windows = new Map<string, { start: number; count: number }>();
  let throttledSinceReset = false;
  let resets = 0;
  let resetAt = Number.NEGATIVE_INFINITY;
  const origin = await twoKeyTarget(servers, { key: KEY, second: SECOND }, (auth, reply) => {
    const bucket = shared ? 'all' : auth;
    const now = performance.now();
    let w = windows.get(bucket);
    if (auth === `Bearer ${SECOND}` && throttledSinceReset && now - resetAt > RESET_AT_MOST_EVERY_MS) {
      // The unlucky reset: the shared window (or, per key, the key's window) starts again.
      windows.set(shared ? 'all' : `Bearer ${KEY}`, { start: now, count: 0 });
      throttledSinceReset = false;
      resets++;
      resetAt = now;
      w = windows.get(bucket);
    }
    if (!w || now >= w.start + 1000) {
      w = { start: now, count: 0 };
      windows.set(bucket, w);
    }
    const ok = w.count < LIMIT;
    if (ok) w.count++;
    else throttledSinceReset = true;
    reply(ok);
  });
  return { origin, resets: () => resets };
}

function isolation(origin: string): Promise<CheckResult> {
  return isolationCheck(origin, { key: KEY, second: SECOND }, LIMIT);
}

it('a fixed window both keys share that resets just before the second key’s calls: never a pass', async () => {
  const { origin, resets } = await resetWindowTarget(true);
  const check = await isolation(origin);
  expect(resets()).toBeGreaterThan(0);
  expect(check.verdict, check.message).not.toBe('pass');
  expect(check.message).toMatch(/inconclusive$/);
});

it('a fixed window per key, the key’s resetting just before the second key’s calls: never a fail', async () => {
  const { origin } = await resetWindowTarget(false);
  const check = await isolation(origin);
  expect(check.verdict, check.message).not.toBe('fail');
});

it('a leaky bucket per key at 5 a second passes', async () => {
  const bucket = leakyBucket(LIMIT);
  const origin = await twoKeyTarget(servers, { key: KEY, second: SECOND }, (auth, reply) => reply(bucket.take(auth)));
  const check = await isolation(origin);
  expect(check.verdict, check.message).toBe('pass');
});
