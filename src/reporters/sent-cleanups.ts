// Cleanups that were sent and acknowledged but that no probe can verify (a
// canary refused anyway, because it was disabled or created to expire; one
// whose secret keyprobe never learnt): their outcome is `sent`. They do not
// gate the launch — the platform said it was done, so nothing is known to be
// left changed — but every report names them in the same words, so none of
// them reads as verified.
import type { CleanupRecord } from '../result.js';

/** The heading every report gives the sent cleanups. */
export function sentHeading(count: number): string {
  return `Cleanup sent, not verifiable by probing: ${count === 1 ? 'one action was' : `${count} actions were`} acknowledged, but no probe can tell whether ${count === 1 ? 'it' : 'they'} took effect (does not gate the launch)`;
}

/** One sent cleanup in words: which key, by which check, and why it cannot be probed. */
export function sentLine(r: CleanupRecord): string {
  return `${r.action === 'enable' ? 're-enable' : 'delete'} ${r.subject} "${r.key}"${r.keyId ? ` (id ${r.keyId})` : ''} of ${r.profile} after ${r.check}: ${r.detail}`;
}
