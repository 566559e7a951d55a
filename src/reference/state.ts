// Everything one running target holds, handed to the API and the management
// API. One object per target, so two targets in one process never share keys,
// faults or counters.

import type { ActiveBehaviours } from './behaviours.js';
import type { ActiveFaults } from './faults.js';
import type { KeyStore, RateLimitPolicy } from './keys.js';
import type { PlatformData } from './platform-data.js';
import type { FixedWindowLimiter } from './rate-limit.js';
import type { RequestStats } from './stats.js';

export interface TargetState {
  /** The environment this target serves; keys of others are refused. */
  readonly environment: string;
  readonly keys: KeyStore;
  readonly faults: ActiveFaults;
  /** Platform behaviours (behaviours.ts): not defects, ways real platforms differ. */
  readonly behaviours: ActiveBehaviours;
  /** Epoch ms the target started; the revocation-cache refreshes count from here. */
  readonly startedAt: number;
  /** Per-key buckets, and under client-rate-limit / throttled-admin the per-address ones (`client:`, `admin:` prefixes). */
  readonly limiter: FixedWindowLimiter;
  /** For keys created without their own rate limit. */
  readonly defaultRateLimit: RateLimitPolicy;
  readonly stats: RequestStats;
  /** This environment's data. */
  readonly data: PlatformData;
  /** Other environments' data, made on first use (keys-select-environment serves a foreign key its own). */
  readonly otherData: Map<string, PlatformData>;
}
