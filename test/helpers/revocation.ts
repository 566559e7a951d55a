// Compares keyprobe's measured revocation lag with the target's own record
// of when it started refusing the key (target.revocations()), to the
// resolution keyprobe's probes actually had. The truth lies after the last
// probe the target still served (it arrived before the refusal began), and
// the first refused probe can be late by at most the gap since that probe;
// it can be early by the time the revocation call took (keyprobe times from
// its return, the target from its handling) and the probe's own trip. So:
// within 50 ms, or within that gap plus the call's duration when a loaded
// machine spread the probes further apart. A wall-clock window alone would
// fail on a busy machine without anything being measured wrong.
import { expect } from 'vitest';
import type { CheckResult, RevocationTimeline } from '../../src/result.js';

export function expectLagMeasured(check: CheckResult, truthMs: number): void {
  const t = check.timeline as RevocationTimeline;
  const first = t.firstRejectionMs!;
  expect(first, 'no rejection was measured').toBeDefined();
  const served = t.points.filter((p) => p.accepted && p.tMs >= 0 && p.tMs < first).map((p) => p.tMs);
  const callMs = (check.measurements.deleteCallMs ?? check.measurements.disableCallMs) as number;
  expectBracketed({ first, ...(served.length > 0 ? { lastAccepted: Math.max(...served) } : {}), earlyByMs: callMs }, truthMs);
}

/**
 * The same for any measured lag: the `first` refused probe and the
 * `lastAccepted` one (ms after the revocation; absent when none was served),
 * and how early `first` may be beyond a probe's own trip.
 */
export function expectBracketed(m: { first: number; lastAccepted?: number; earlyByMs: number }, truthMs: number): void {
  if (m.lastAccepted !== undefined) expect(truthMs, 'the target refused the key before a probe it served').toBeGreaterThan(m.lastAccepted);
  expect(Math.abs(m.first - truthMs)).toBeLessThanOrEqual(Math.max(50, m.first - (m.lastAccepted ?? 0) + m.earlyByMs));
}
