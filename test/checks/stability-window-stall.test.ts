// lifecycle.disabled-key-rejected when keyprobe itself stalls inside the
// stability window (a loaded CI runner: GC, a starved CPU, a blocked event
// loop). A run at load 10–17 saw the revocation-flap fault pass with "stayed
// refused for all 1 probes of the 2 s stability window": one probe cannot see
// a flap. A window is judged only when a whole window's length was watched
// with no gap over four probe intervals or a quarter of the window; after a
// longer gap the check watches on (up to four windows), and a window never
// watched closely is `error`, never pass; a flap that is seen fails. The
// stall is a deliberate busy-wait in this process, so the file runs in the
// timing group (test/setup/timing-files.ts).
import { expect, it } from 'vitest';
import type { FaultSettings } from '../../src/reference/index.js';
import { fixture, referenceLifecycle, runChecks, startTarget } from '../lifecycle/helpers.js';

/**
 * Runs the check against a reference target with `faults` and a stability
 * window of `windowMs`; with `stall`, this process busy-waits `ms` once the
 * canary has had the probe before the disable, the first refusal and then
 * `afterWindowProbes` probes of the window.
 */
async function disableWith(faults: FaultSettings, windowMs: number, stall?: { afterWindowProbes: number; ms: number }) {
  const target = await startTarget({ faults });
  const f = fixture(target, { lifecycle: referenceLifecycle(target, { stabilityWindowMs: windowMs }) });
  const canaryRequests = () => {
    const canary = target.listKeys().find((k) => k.name.startsWith('keyprobe-canary'));
    return canary ? (target.stats().byKey[canary.id] ?? 0) : 0;
  };
  const watcher = stall
    ? setInterval(() => {
        if (canaryRequests() < 2 + stall.afterWindowProbes) return;
        clearInterval(watcher);
        const end = performance.now() + stall.ms;
        while (performance.now() < end);
      }, 1)
    : undefined;
  try {
    const result = await runChecks(f, ['lifecycle.disabled-key-rejected']);
    return result.profiles[0]!.checks[0]!;
  } finally {
    clearInterval(watcher);
  }
}

/** The 1 s window's error: a whole 1 s with no gap over 250 ms is needed, and keyprobe slept through all four windows. */
const NOT_WATCHED =
  /^could not judge the 1 s stability window: it was not watched closely enough: \d+ probes in [\d.]+ s after the first rejection, largest gap [\d.]+ s \(a 1 s stretch with no gap over 250 ms is needed: four probe intervals or a quarter of the window, whichever is longer\); keyprobe or the target was slow, or the probes waited long for pacing slots$/;
const WATCHED_ON =
  /^a stretch of [\d.]+ m?s of the stability window went unwatched \(keyprobe or the target was slow, or the probes waited for pacing slots\), so keyprobe watched on until it had watched a whole 2 s closely, [\d.]+ s after the first rejection$/;

it('a healthy key passes only on a window watched closely: a stall makes the check watch on, and one that outlasts its watch is an error', async () => {
  const quiet = await disableWith({}, 2000);
  expect(quiet.verdict, quiet.message).toBe('pass');
  expect(quiet.message).toMatch(/stayed refused for all \d+ probes of the 2 s stability window$/);
  // Stalled 900 ms part-way through the window: watched on until a whole 2 s was watched closely, and said so.
  const gap = await disableWith({}, 2000, { afterWindowProbes: 5, ms: 900 });
  expect(gap.verdict, gap.message).toBe('pass');
  const said = gap.advisories.find((a) => a.startsWith('a stretch of'));
  expect(said, gap.advisories.join('\n')).toMatch(WATCHED_ON);
  expect(Number(/after the first rejection$/.test(said!) && /closely, ([\d.]+) s/.exec(said!)?.[1])).toBeGreaterThan(2.9);
  // Stalled right after the first refusal for longer than the four windows it may watch: not judged.
  const slept = await disableWith({}, 1000, { afterWindowProbes: 0, ms: 4200 });
  expect(slept.verdict, slept.message).toBe('error');
  expect(slept.message).toMatch(NOT_WATCHED);
});

it('a flapping revocation never passes: a stall hides the flap for a while, then the watch sees it; one that outlasts the watch is an error', async () => {
  // 3 of 10 nodes never heard of the disable; the first probe after it is refused, the fourth accepted.
  const flap = { 'revocation-flap': 0.3 };
  const seen = await disableWith(flap, 2000);
  expect(seen.verdict, seen.message).toBe('fail');
  expect(seen.message).toMatch(/accepted again after the first rejection \(flapping/);
  // The case seen on a loaded runner: a stall longer than the window right after the first refusal.
  const late = await disableWith(flap, 2000, { afterWindowProbes: 0, ms: 2100 });
  expect(late.verdict, late.message).toBe('fail');
  expect(late.message).toMatch(/accepted again after the first rejection \(flapping/);
  // Stalled through all four windows: at most one probe (the second after the disable, refused) watched.
  const hidden = await disableWith(flap, 1000, { afterWindowProbes: 0, ms: 4200 });
  expect(hidden.verdict, hidden.message).toBe('error');
  expect(hidden.message).toMatch(NOT_WATCHED);
});
