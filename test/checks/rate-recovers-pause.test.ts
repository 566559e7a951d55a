// rate.recovers waits the announced time from the moment the throttled answer
// arrived. It used to take that moment as "now less the rest of the burst", so
// a pause of keyprobe's own between the burst's end and the wait (a busy
// machine, a long GC) lengthened the wait by as much, and a Retry-After that
// understated the throttle by more than its one-second allowance could pass.
// Here the pause is made on purpose: the burst's outcome reaches the check
// 1.5 s late, against a server that says "Retry-After: 1" and throttles for 3 s.
import { expect, it, vi } from 'vitest';
import { fakeTarget, runAgainst } from './fake-limiter.js';

vi.mock('../../src/checks/rate-burst.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/checks/rate-burst.js')>();
  return {
    ...real,
    burstToThrottle: async (...args: Parameters<typeof real.burstToThrottle>) => {
      const outcome = await real.burstToThrottle(...args);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return outcome;
    },
  };
});

/** How long the key stays throttled from its first throttled answer, whatever Retry-After says. */
const THROTTLED_FOR_MS = 3000;

it('a pause after the burst does not lengthen the wait: a Retry-After 2 s short still fails', async () => {
  // 5 calls per window, then 429 with "Retry-After: 1" for 3 s: a Retry-After that lies by 2 s.
  const origin = await fakeTarget({
    limit: 5,
    lockMs: THROTTLED_FOR_MS,
    headers: ({ throttled }): Record<string, string> => (throttled ? { 'retry-after': '1' } : {}),
  });
  const check = (await runAgainst(origin, ['rate.recovers']))['rate.recovers']!;
  expect(check.verdict, check.message).toBe('fail');
  expect(check.message).toMatch(
    /^Retry-After said 1 s but the key was still throttled \(429 Too Many Requests\) \d+ ms after the throttle/,
  );
  // Probed about 1.1 s after the throttle, then a second later: not 1.5 s later for the pause.
  expect(check.measurements.stillThrottledAtMs).toBeLessThan(THROTTLED_FOR_MS - 1000);
});
