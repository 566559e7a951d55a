// Detection cases for the lifecycle and rate-limit checks: each names the
// fault and the one check that must fail (lifecycle-matrix.test.ts proves it
// against the reference target). They are joined with the request cases in
// matrix.ts, so the README table shows every check that catches a defect.
//
// rate-limit-status=503 belongs to rate.limit-signalled, not
// rate.limit-triggered: the limit does trigger at the right count (a client
// is stopped), but it says so with a server error, so clients that back off
// on 429 retry at once instead — the signal is what is wrong.
import type { DetectionCase } from './case.js';

export const LIFECYCLE_CASES: readonly DetectionCase[] = [
  { name: 'revocation-delay', faults: ['revocation-delay=2000'], expectFail: 'lifecycle.disabled-key-rejected' },
  { name: 'revocation-flap', faults: ['revocation-flap=0.3'], expectFail: 'lifecycle.disabled-key-rejected' },
  { name: 'accept-expired', faults: ['accept-expired'], expectFail: 'lifecycle.expired-key-rejected' },
  { name: 'rotation-no-expiry', faults: ['rotation-no-expiry'], expectFail: 'lifecycle.rotated-key' },
  // Refused in time, but the refusal says the dead key back; the header and trace-header forms are dead-key-echo.test.ts's.
  { name: 'disabled-key-echo', faults: ['disabled-key-echo=body'], expectFail: 'lifecycle.disabled-key-rejected' },
  { name: 'expired-key-echo', faults: ['expired-key-echo=body'], expectFail: 'lifecycle.expired-key-rejected' },
  { name: 'rotated-key-echo', faults: ['rotated-key-echo=body'], expectFail: 'lifecycle.rotated-key' },
  { name: 'no-rate-limit', faults: ['no-rate-limit'], expectFail: 'rate.limit-triggered' },
  {
    name: 'shared-rate-bucket',
    faults: ['shared-rate-bucket'],
    expectFail: 'rate.per-key-isolation',
    notUnder: {
      'per-client':
        'the platform already limits per client address and the profile says so (rateLimit.scope: client), so one bucket for all keys is its declared design, not a defect: rate.per-key-isolation skips',
    },
  },
  { name: 'rate-limit-status', faults: ['rate-limit-status=503'], expectFail: 'rate.limit-signalled' },
  { name: 'no-retry-after', faults: ['no-retry-after'], expectFail: 'rate.limit-signalled' },
];
