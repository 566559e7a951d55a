// The timing-sensitive test files, by project (vitest.config.ts); the order is
// the order they are handed out in (test/setup/sequencer.ts).

// Tests that wait on wall-clock protocol windows (rate windows, revocation
// stability windows, expiries, gateways' limiters) but judge each case against a
// target, ports and temp dirs of their own, with lags bracketed by what the
// target itself recorded: most of their time is waiting, not CPU. They run
// after the unit files, four at a time.
// Longest first (seconds on a quiet machine in brackets: the JSON reporter's file times of a fresh-clone
// `npm test` at fe346f5, load < 1; hostile-servers, verdict-gaps, lifecycle-key-models and
// per-key-isolation-late, whose cases now run side by side, alone at load 2.4-9 after session 12's
// describe.concurrent: bench/test-suite.md), the order they are handed out in.
export const TIMING_WAITS = [
  // Every scenario's real bin side by side (five at a time), each against a target in a process of its own
  // (test/helpers/reference-child.ts): verdicts, not wall-clock figures, but the targets must answer on time.
  // (50; each run watches a 500 ms stability window outside revocation-flap, not the demo profile's 2 s.)
  'test/reliability/stability.test.ts',
  'test/detection/behaviour-matrix.test.ts', // (40)
  'test/detection/lifecycle-matrix.test.ts', // (44)
  'test/detection/dead-key-echo.test.ts',
  // The two-profile run (about two whole-suite runs long) after the others: beside them, its profiles' turns
  // at the shared origin bucket were timing-dependent (a CI run at load saw two turn notes where one is asserted). (37)
  'test/detection/behaviours.test.ts',
  'test/checks/lifecycle-key-models.test.ts', // (16)
  // Hostile servers: a rate burst's windows and a throttle waited out against servers of its own (five cases at a
  // time, then the Retry-After cases one by one); after the longest files, so it starts as the first of them ends. (37)
  'test/reliability/hostile-servers.test.ts',
  // A big run on worker threads against a single-threaded one: rate windows and revocation windows, twice. (15)
  'test/runner/sharded-run.test.ts',
  // Verdict gaps: servers of its own, a rate burst's windows and a canary's expiry waited out, five at a time. (4)
  'test/reliability/verdict-gaps.test.ts',
  'test/detection/cli-no-secrets.test.ts', // (10)
  // Soft refusals against servers of its own: revocation stability windows, and a cleanup check's 5 s wait
  // for a re-enabled key that never answers as restored. (10)
  'test/reliability/soft-refusal-lifecycle.test.ts',
  'test/checks/throttled-lifecycle.test.ts', // (6)
  // The real bin on two worker threads, interrupted inside 5 s revocation stability windows. (2)
  'test/runner/sharded-interrupt.test.ts',
  // A worker thread crashing mid-run; the other thread's revocations are judged against their 1 s budget. (3)
  'test/runner/sharded-crash.test.ts',
  // A rotation watched while this process stalls on purpose (a busy-wait of 1.2 s). (10)
  'test/checks/rotated-key-late.test.ts',
  // An expiry watched while this process stalls on purpose (busy-waits of about 650 ms and, where no answer states the expiry, about 1.1–1.4 s). (6)
  'test/checks/expired-key-late.test.ts',
  // A revocation's stability window watched while this process stalls on purpose (busy-waits of 0.9 and 2.1 s, and 10 s of 0.4 s ones). (21)
  'test/checks/stability-window-stall.test.ts',
  // A leaky bucket's refill raced against the late re-check on purpose. (10)
  'test/checks/per-key-isolation-refill.test.ts',
  // A leaky bucket's refill raced against the second key's late calls on purpose, retried on fresh windows; five
  // cases at a time, those on a bucket refilling every 10 ms alone after them. (10)
  'test/checks/per-key-isolation-late.test.ts',
  // A burst whose throttled answers drain 500 ms late, per key and shared, on fresh windows. (6)
  'test/checks/per-key-isolation-drain.test.ts',
  // A bucket refilling five times faster than declared, its second key's calls held 50 ms, retried on fresh windows. (7)
  'test/checks/per-key-isolation-fast-refill.test.ts',
  // A window of 5 that resets just before the second key's calls, retried on fresh windows. (9)
  'test/checks/per-key-isolation-small-limit.test.ts',
  // The reference target's own behaviours, timed with sleeps against 100–200 ms delays. (1)
  'test/reference/behaviours.test.ts',
];

// Tests whose assertions are wall-clock figures (revocation latency within 50 ms
// at a 10 ms probe resolution, 1 s rate windows a proxy straddles on purpose,
// signals sent mid-burst, a burst paced against a window, 20 ms of injected
// latency): they run last, three files at a time (each mostly waiting) and
// nothing else, so no CPU-bound file skews what they measure.
export const TIMING_ALONE = [
  // Longest first, as above: three lanes of about 57 s.
  // Real gateways (Debian's nginx and HAProxy) on free loopback ports of their own, whose recipes judge expiry and
  // revocation windows: beside the CPU-bound timing files, a CI run saw HAProxy's expired-key check give `error`
  // (its cause, an expiry the create answer did not state, is fixed: test/checks/expired-key-late.test.ts). (29, 21)
  'test/recipes/nginx.test.ts',
  'test/checks/rate-checks.test.ts', // (27)
  'test/reliability/rate-timing.test.ts', // (26)
  'test/reliability/budget.test.ts', // (20)
  'test/reliability/interrupt.test.ts', // (18)
  'test/recipes/haproxy.test.ts',
  'test/detection/revocation-latency.test.ts', // (11)
  // A real nginx's leaky bucket: rate.per-key-isolation's second key must follow the throttle within
  // ~90 ms (2 refills at 20/s) or the check is inconclusive; one scenario makes it late on purpose. (7)
  'test/reliability/nginx-gateway.test.ts',
  'test/checks/rate-latency.test.ts', // (6)
  'test/http/burst-pacing.test.ts', // (3)
  'test/http/burst-h2.test.ts', // (3)
];

export const TIMING_SENSITIVE = [...TIMING_WAITS, ...TIMING_ALONE];

// The unit files that take longest: handed out first, so none of them starts last
// and becomes the group's tail. Vitest orders by its own timings where it has them,
// but a fresh clone (CI) has none and hands out the largest files first: small slow
// files (scan-file.test.ts is one of the smallest) then start last. Seconds in
// brackets: `npx vitest run --project unit --project unit-mocks` at load 9-13
// (2026-11-30), about twice a quiet machine's.
export const LONG_UNIT_FILES = [
  'test/ecosystem/ci-recipes.test.ts', // (87)
  'test/reliability/config-fuzz.test.ts', // (62)
  'test/ecosystem/package.test.ts', // (60)
  'test/reliability/cleanup-verified.test.ts', // (43)
  'test/detection/request-matrix.test.ts', // (26)
  'test/cli/publish-scan-workers.test.ts', // (23)
  'test/leaks/scan-file.test.ts', // (21)
  'test/reporters/browser.test.ts', // (21)
  'test/cli/special-files.test.ts', // (20)
  'test/reporters/results-contract.test.ts', // (20)
  'test/leaks/scanner.test.ts', // (19)
  'test/reference/exactly-one-check.test.ts', // (15)
  'test/leaks/scan-workers.test.ts', // (12)
  'test/reliability/target-faults.test.ts', // (11)
  'test/reliability/redirects.test.ts', // (11)
  'test/checks/throttle-rule.test.ts', // (11)
];

// Files that replace a module with vi.mock and run in the unit group's time: the
// unit files share one module registry per worker (isolate: false), so these run
// isolated, in a project of their own (test/architecture/test-isolation.test.ts
// finds any other).
export const MOCKING_FILES = [
  'test/leaks/scan-file-blocks.test.ts',
  'test/detection/key-echo.test.ts',
  'test/checks/rate-recovers-pause.test.ts',
];
