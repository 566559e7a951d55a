// rate.per-key-isolation against a leaky bucket per key (nginx limit_req with
// burst and nodelay): the bucket gives one call's worth back every
// window / limit, so the check's "is the key still throttled?" call, if it
// comes a moment late, finds that call and is served though the key is still
// throttled. On a loaded machine that made the nginx recipe's check end in
// "inconclusive" twice (an error). The check now asks with a few calls at
// once: one may be served, the others are still throttled. A bucket shared by
// both keys still fails, and a window that really reset is still inconclusive.
import { expect, it } from 'vitest';
import type { CheckResult } from '../../src/result.js';
import { closedAfterEach } from '../helpers/servers.js';
import { isolationCheck, leakyBucket, twoKeyTarget } from './isolation-targets.js';
import { base62 } from '../helpers/random-keys.js';

const KEY = `kp_leaky_${base62(24)}`;
const SECOND = `kp_leaky_${base62(24)}`;
/** Calls a full bucket lets through at once, and calls per second it gives back: one every 200 ms. */
const LIMIT = 5;
/** How late the key's calls that follow the second key's come to the bucket: more than one refill, less than three. */
const LATE_MS = 250;

const servers = closedAfterEach();

/**
 * A leaky bucket per key (or one for both keys, `shared`). The key's calls that come
 * within 100 ms of a call with the second key reach the bucket LATE_MS later.
 */
async function leakyTarget(o: { shared?: boolean; resetAfterSecond?: boolean } = {}): Promise<string> {
  const bucket = leakyBucket(LIMIT);
  let secondAt = Number.NEGATIVE_INFINITY;
  return twoKeyTarget(servers, { key: KEY, second: SECOND }, (auth, reply) => {
    const answer = () => reply(bucket.take(o.shared ? 'all' : auth));
    if (auth === `Bearer ${SECOND}`) {
      secondAt = performance.now();
      answer();
    } else if (performance.now() - secondAt < 100) {
      // A window that really reset: the key's bucket is empty again.
      if (o.resetAfterSecond) bucket.reset(auth);
      setTimeout(answer, LATE_MS);
    } else answer();
  });
}

function isolation(origin: string): Promise<CheckResult> {
  return isolationCheck(origin, { key: KEY, second: SECOND }, LIMIT);
}

it('a leaky bucket per key passes though the key is asked again a refill late: one call is served, the others are still throttled', async () => {
  const check = await isolation(await leakyTarget());
  expect(check.verdict, check.message).toBe('pass');
  expect(check.measurements.attempts).toBeUndefined();
});

it('a leaky bucket both keys share still fails', async () => {
  const check = await isolation(await leakyTarget({ shared: true }));
  expect(check.verdict, check.message).toBe('fail');
  expect(check.message).toMatch(/the declared second key was throttled too \(3 of 3 calls: 429/);
});

it('a window that reset before the key is asked again is still inconclusive, twice: an error, never a pass', async () => {
  const check = await isolation(await leakyTarget({ resetAfterSecond: true }));
  expect(check.verdict, check.message).toBe('error');
  expect(check.message).toMatch(/no longer throttled \(3 calls at once: 200 OK\).*inconclusive/);
  expect(check.measurements.attempts).toBe(2);
});
