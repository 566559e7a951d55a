// Which rate-limit bucket each request of a run counts against, made once per
// run from every profile's declared rateLimit, so all profiles and checks that
// talk to one origin share its pacing:
//
// - rateLimit.scope `client` or `global`: the platform counts every request
//   from us, so every request of the run to that origin — any profile, any
//   credential, management calls included — goes into one bucket.
// - rateLimit.scope `key` (the default): each key has its own budget; the
//   requests that carry the profile's key go into that key's bucket. Other
//   credentials (a canary, near misses, no key) are not counted by a per-key
//   limiter against this key, so they are not paced by it.
//
// A bucket lets through at most PACING_HEADROOM of the declared limit per
// window; the rest is room for clock and latency differences (and, with a
// shared limiter, for traffic keyprobe does not see).
import { clockWait } from '../clock-waits.js';
import type { Profile, RateLimitSpec } from '../config/profile-schema.js';
import { InterruptedError } from '../errors.js';
import { Pacer } from '../http/pacing.js';
import { throttleRule, type ThrottleRule } from '../http/throttle.js';
import { fingerprint } from '../secrets.js';

/** Share of the declared limit that paced traffic may use in any window. */
export const PACING_HEADROOM = 0.8;

interface Wanted {
  perWindow: number;
  windowMs: number;
  label: string;
}

export class PacingPlan {
  /** origin → the bucket every request to it counts against (client/global limiters). */
  private readonly shared = new Map<string, Pacer>();
  /** origin + key → that key's bucket (per-key limiters). */
  private readonly perKey = new Map<string, Pacer>();

  constructor(profiles: readonly Profile[]) {
    const shared = new Map<string, Wanted>();
    const perKey = new Map<string, Wanted>();
    for (const p of profiles) {
      const rl = p.rateLimit;
      if (!rl) continue;
      const origin = p.target.origin;
      if (rl.scope === 'key')
        keepStricter(
          perKey,
          bucketKey(origin, p.key.secret),
          wanted(rl, `the key's rate-limit bucket (requests carrying key ${fingerprint(p.key.secret)} to ${origin})`),
        );
      else keepStricter(shared, origin, wanted(rl, `the origin's rate-limit bucket (every request of this run to ${origin})`));
    }
    for (const [k, w] of shared) this.shared.set(k, new Pacer(w));
    for (const [k, w] of perKey) this.perKey.set(k, new Pacer(w));
  }

  /** The bucket a request to `origin` carrying `secret` (undefined: no credential) counts against, if any. */
  pacerFor(origin: string, secret: string | undefined): Pacer | undefined {
    return this.shared.get(origin) ?? (secret !== undefined ? this.perKey.get(bucketKey(origin, secret)) : undefined);
  }

  /** The bucket a profile's rate checks burst into: the origin's for a shared limiter, else the key's. */
  burstBucket(profile: Profile): Pacer | undefined {
    if (!profile.rateLimit) return undefined;
    return this.pacerFor(profile.target.origin, profile.key.secret);
  }

  /** Per bucket, the end of the last turn handed out (see turn). */
  private readonly turns = new Map<Pacer, Promise<void>>();

  /**
   * Waits for the profile's turn at the bucket its key's requests go into
   * (none: at once), for its lifecycle and rate checks. They measure time (a
   * revocation lag, an expiry) and spend the window, so one profile at a time
   * runs them on a bucket it shares with others: another profile's burst
   * holds the bucket for seconds and would hold up the probes that time a
   * revocation, which then read as late. Request checks are not affected.
   */
  async turn(profile: Profile, signal: AbortSignal): Promise<Turn> {
    const bucket = this.pacerFor(profile.target.origin, profile.key.secret);
    if (!bucket) return { label: '', waitedMs: 0, release: () => undefined };
    const previous = this.turns.get(bucket) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.turns.set(
      bucket,
      previous.then(() => mine),
    );
    const t0 = performance.now();
    try {
      // Sending nothing while another profile has its turn: lend the concurrency slot (src/runner/slots.ts).
      await clockWait(signal, Number.POSITIVE_INFINITY, untilDone(previous, signal));
    } catch (err) {
      // Interrupted while waiting: hand the turn on as soon as it comes.
      release();
      throw err;
    }
    return { label: bucket.spec.label, waitedMs: performance.now() - t0, release };
  }
}

export interface Turn {
  /** The bucket's label, for notes. */
  readonly label: string;
  readonly waitedMs: number;
  release(): void;
}

/** Resolves with `p`, or rejects with InterruptedError the moment the run is interrupted. */
function untilDone(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new InterruptedError(String(signal.reason ?? 'abort')));
    const onAbort = () => reject(new InterruptedError(String(signal.reason ?? 'abort')));
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** The throttle rule for a profile: its declared throttling statuses, the statuses it expects as refusals, its window. */
export function throttleRuleFor(profile: Profile): ThrottleRule {
  const refusals = new Set([...profile.rejection.statuses, ...profile.denial.statuses, ...profile.denied.flatMap((d) => d.statuses ?? [])]);
  return throttleRule({
    declaredStatuses: profile.rateLimit?.statuses ?? [],
    refusalStatuses: [...refusals],
    ...(profile.rateLimit ? { windowSeconds: profile.rateLimit.windowSeconds } : {}),
  });
}

function wanted(rl: RateLimitSpec, label: string): Wanted {
  return { perWindow: Math.max(1, Math.floor(rl.limit * PACING_HEADROOM)), windowMs: rl.windowSeconds * 1000, label };
}

/** Two profiles declaring one bucket differently: the one that allows fewer requests per second wins. */
function keepStricter(map: Map<string, Wanted>, key: string, w: Wanted): void {
  const had = map.get(key);
  if (!had || w.perWindow / w.windowMs < had.perWindow / had.windowMs) map.set(key, w);
}

function bucketKey(origin: string, secret: string): string {
  return `${origin} ${secret}`;
}
