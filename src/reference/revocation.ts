// When the data plane starts refusing a key that the control plane revoked
// (disabled, deleted) or that expired. By default at once; the
// `revocation-delay` fault holds a disable or delete back by MS; the
// `revocation-cache` behaviour serves keys from a cache refreshed every MS
// from the target's start, so a revocation shows only at the next refresh.

import type { ActiveBehaviours } from './behaviours.js';
import type { ActiveFaults } from './faults.js';

export type Revocation = 'disable' | 'delete' | 'expiry';

export interface RevocationContext {
  readonly faults: ActiveFaults;
  readonly behaviours: ActiveBehaviours;
  /** Epoch ms the target started: the cache refreshes count from here. */
  readonly startedAt: number;
}

/** Epoch ms from which the data plane refuses a key revoked at `at` (epoch ms). */
export function refusedFrom(at: number, kind: Revocation, ctx: RevocationContext): number {
  // An expiry is judged by the data plane itself; a disable or delete has to travel there.
  const reached = kind === 'expiry' ? at : at + (ctx.faults.get('revocation-delay') ?? 0);
  const refresh = ctx.behaviours.get('revocation-cache');
  if (refresh === undefined) return reached;
  return ctx.startedAt + Math.ceil((reached - ctx.startedAt) / refresh) * refresh;
}
