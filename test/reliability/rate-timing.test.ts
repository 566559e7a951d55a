// A burst that straddles a rate window must not be read as "no rate limit"
// (or as a limit that "triggered late").
// A proxy in front of a healthy reference target (20 per 1 s, a fixed window
// that opens at the key's first request) replays the timing a loaded machine
// produced in the stability runs: the first calls at once (the burst's two
// round-trip pilots, sent one after the other), 15 just before the window
// ends, 16 just after it. Every window stays within the limit, so nothing is
// throttled, yet 32 answers arrive within one second of each other. Before the
// fix rate.limit-triggered said "no rate limit" (a false fail); now it sees
// that only 17 calls came back within the first window, bursts once more on
// a fresh window, and judges that one. The same proxy with the no-rate-limit
// fault still fails: the expectation is not loosened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DEMO_PROFILE } from '../../src/paths.js';
import type { RunResult } from '../../src/result.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { expectNoCrash, expectNoSecrets } from './helpers.js';
import { countingProxy, startReference, type CountingProxy, type Demo, type Schedule } from './reference-harness.js';

let demo: Demo | undefined;
let proxy: CountingProxy | undefined;
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await proxy?.close();
  await demo?.target.close();
  tmp?.cleanup();
  demo = proxy = tmp = undefined;
});

// Calls 1–2 pass at once: they are the burst's round-trip pilots, and holding
// one would only delay the whole burst past the window instead of straddling it.

/** Calls 1–2 at once; calls 3–17 held until 850 ms after the first (150 ms before the window ends: a timer late on a busy machine still fires inside it); calls 18–33 until 1100 ms (the next window). Later calls pass. */
function straddle(n: number, sinceFirstMs: number): number {
  if (n <= 2 || n > 33) return 0;
  return (n <= 17 ? 850 : 1100) - sinceFirstMs;
}

/** Calls 1–2 at once; 3–12 at 850 ms; 13–33 at 1100 ms: the next window gets 21 calls and throttles only the last. */
function straddleLate(n: number, sinceFirstMs: number): number {
  if (n <= 2 || n > 33) return 0;
  return (n <= 12 ? 850 : 1100) - sinceFirstMs;
}

/** Preflight sends 2 requests before any check (reachability, then the key): the schedule counts from the burst's first call. */
const PREFLIGHT_REQUESTS = 2;

function afterPreflight(schedule: Schedule): Schedule {
  let firstAt: number | undefined;
  return (n, _sinceFirstMs, req) => {
    if (n <= PREFLIGHT_REQUESTS) return 0;
    firstAt ??= performance.now();
    return schedule(n - PREFLIGHT_REQUESTS, performance.now() - firstAt, req);
  };
}

async function burstThroughStraddlingProxy(faults: string[], schedule: Schedule = straddle, only = 'rate.limit-triggered') {
  demo = await startReference(faults);
  proxy = await countingProxy(demo.target.origin, { schedule: afterPreflight(schedule) });
  tmp = tempDir('keyprobe-rate-');
  const outDir = join(tmp.dir, 'out');
  const run = await runCli(['run', DEMO_PROFILE, '--only', only, '--out', outDir], {
    env: { PATH: process.env.PATH, ...demo.env, KEYPROBE_DEMO_TARGET: proxy.origin },
    cwd: tmp.dir,
  });
  expectNoCrash(run);
  expectNoSecrets(demo.secrets, { ...run, outDir });
  const result = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as RunResult;
  return { run, check: result.profiles[0]!.checks[0]! };
}

it('a healthy limiter whose window reset mid-burst is not reported as "no rate limit": a second burst on a fresh window passes', async () => {
  const { run, check } = await burstThroughStraddlingProxy([]);
  expect(check.verdict, check.message).toBe('pass');
  expect(check.measurements.attempts).toBe(2);
  expect(run.code).toBe(0);
}, 20_000);

it('with the no-rate-limit fault the same straddling burst still fails (confirmed on the fresh window)', async () => {
  const { run, check } = await burstThroughStraddlingProxy(['no-rate-limit']);
  expect(check.verdict, check.message).toBe('fail');
  expect(check.message).toMatch(/no rate limit: all 33 calls were accepted/);
  expect(check.measurements.attempts).toBe(2);
  expect(run.code).toBe(1);
}, 20_000);

it('a throttle that comes only in the second window is not reported as "triggered late": a second burst on a fresh window passes', async () => {
  const { run, check } = await burstThroughStraddlingProxy([], straddleLate);
  expect(check.verdict, check.message).toBe('pass');
  expect(check.measurements.attempts).toBe(2);
  expect(run.code).toBe(0);
}, 20_000);

it('rate.per-key-isolation: when the window resets before the key is checked again, it tries once more instead of giving up', async () => {
  // Hold the first "is the key still throttled?" requests (the key's three, sent at once after the second key was served) past the window's end.
  let secondKeySeen = false;
  let held = 0;
  const { run, check } = await burstThroughStraddlingProxy(
    [],
    (_n, _t, req) => {
      const auth = req.headers.authorization ?? '';
      if (auth === `Bearer ${demo!.env.KEYPROBE_DEMO_SECOND_KEY}`) secondKeySeen = true;
      else if (secondKeySeen && held < 3 && auth === `Bearer ${demo!.env.KEYPROBE_DEMO_KEY}`) {
        held++;
        return 1_100;
      }
      return 0;
    },
    'rate.per-key-isolation',
  );
  expect(held).toBe(3);
  expect(check.verdict, check.message).toBe('pass');
  expect(check.measurements.attempts).toBe(2);
  expect(run.code).toBe(0);
}, 20_000);

/** A burst of the demo profile sends 33 requests (allowance 22 + 8 in flight + 3): the schedule again for each burst, timed from its first call. */
function everyBurst(schedule: Schedule): Schedule {
  const firstAt = new Map<number, number>();
  return (n, _sinceFirstMs, req) => {
    const burst = Math.floor((n - 1) / 33);
    if (!firstAt.has(burst)) firstAt.set(burst, performance.now());
    return schedule(n - burst * 33, performance.now() - firstAt.get(burst)!, req);
  };
}

it('rate.limit-signalled: a throttle that comes only in the second window on both bursts is an error, not a RateLimit-Policy that "announces q=20"', async () => {
  const { run, check } = await burstThroughStraddlingProxy([], everyBurst(straddleLate), 'rate.limit-signalled');
  expect(check.measurements.attempts).toBe(2);
  expect(check.verdict, check.message).toBe('error');
  expect(check.message).toMatch(
    /^inconclusive: RateLimit-Policy announces q=20, but the \d+ calls accepted before the throttle cannot be compared/,
  );
  expect(run.code).toBe(3);
}, 20_000);
