// lifecycle.disabled-key-rejected when keyprobe itself stalls inside the
// stability window (a loaded CI runner: GC, a starved CPU, a blocked event
// loop). A run at load 10–17 saw the revocation-flap fault pass with "stayed
// refused for all 1 probes of the 2 s stability window": one probe cannot see
// a flap. A window is judged only when a whole window's length was watched
// with no gap over four probe intervals or a quarter of the window; after a
// longer gap the check watches on (four windows, at least 10 s), and a window
// never watched closely is `error`, never pass; a flap that is seen fails. The
// stalls are deliberate busy-waits in this process, so the file runs in the
// timing group (test/setup/timing-files.ts).
import { expect, it } from 'vitest';
import type { FaultSettings } from '../../src/reference/index.js';
import { fixture, referenceLifecycle, runChecks, startTarget } from '../lifecycle/helpers.js';

/** A busy-wait: this process (keyprobe and the target alike) does nothing else meanwhile. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * Runs the check against a reference target with `faults` and a stability
 * window of `windowMs`. With `stall`, once the canary has had the probe before
 * the disable, the first refusal and then `afterWindowProbes` probes of the
 * window, this process busy-waits `ms`; with `repeatEveryMs`, again and again,
 * that long after each stall ended, until the check is done.
 */
async function disableWith(
  faults: FaultSettings,
  windowMs: number,
  stall?: { afterWindowProbes: number; ms: number; repeatEveryMs?: number },
) {
  const target = await startTarget({ faults });
  const f = fixture(target, { lifecycle: referenceLifecycle(target, { stabilityWindowMs: windowMs }) });
  const canaryRequests = () => {
    const canary = target.listKeys().find((k) => k.name.startsWith('keyprobe-canary'));
    return canary ? (target.stats().byKey[canary.id] ?? 0) : 0;
  };
  let done = false;
  let again: NodeJS.Timeout | undefined;
  const stallAgain = (s: NonNullable<typeof stall>) => {
    if (done) return;
    busy(s.ms);
    if (s.repeatEveryMs !== undefined) again = setTimeout(() => stallAgain(s), s.repeatEveryMs);
  };
  const watcher = stall
    ? setInterval(() => {
        if (canaryRequests() < 2 + stall.afterWindowProbes) return;
        clearInterval(watcher);
        stallAgain(stall);
      }, 1)
    : undefined;
  try {
    const result = await runChecks(f, ['lifecycle.disabled-key-rejected']);
    return result.profiles[0]!.checks[0]!;
  } finally {
    done = true;
    clearInterval(watcher);
    clearTimeout(again);
  }
}

it('a healthy key passes on a window watched closely, after a stall too; a window never watched closely is an error', async () => {
  const quiet = await disableWith({}, 2000);
  expect(quiet.verdict, quiet.message).toBe('pass');
  expect(quiet.message).toMatch(/stayed refused for all \d+ probes of the 2 s stability window$/);
  // Stalled 900 ms part-way through the window: watched on until a whole 2 s was watched closely.
  const gap = await disableWith({}, 2000, { afterWindowProbes: 5, ms: 900 });
  expect(gap.verdict, gap.message).toBe('pass');
  // Stalled 400 ms out of every 420 ms from the first refusal on: no 1 s stretch without a gap over 250 ms, in 10 s.
  const starved = await disableWith({}, 1000, { afterWindowProbes: 0, ms: 400, repeatEveryMs: 20 });
  expect(starved.verdict, starved.message).toBe('error');
  expect(starved.message).toMatch(
    /^could not judge the 1 s stability window: it was not watched closely enough: \d+ probes in 1\d(\.\d)? s after the first rejection, largest gap [\d.]+ m?s \(a 1 s stretch with no gap over 250 ms is needed: four probe intervals or a quarter of the window, whichever is longer\); keyprobe or the target was slow, or the probes waited long for pacing slots$/,
  );
});

it('a flapping revocation never passes: a stall longer than the window hides the flap for a while, and the watch then sees it', async () => {
  // 3 of 10 nodes never heard of the disable; the first probe after it is refused, the fourth accepted.
  const flap = { 'revocation-flap': 0.3 };
  const seen = await disableWith(flap, 2000);
  expect(seen.verdict, seen.message).toBe('fail');
  expect(seen.message).toMatch(/accepted again after the first rejection \(flapping/);
  // The case seen on a loaded runner: a stall longer than the window right after the first refusal
  // (which passed as "stayed refused for all 1 probes of the 2 s stability window").
  const late = await disableWith(flap, 2000, { afterWindowProbes: 0, ms: 2100 });
  expect(late.verdict, late.message).toBe('fail');
  expect(late.message).toMatch(/accepted again after the first rejection \(flapping/);
});
