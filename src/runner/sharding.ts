// Which profiles of a big run go to which worker thread (src/runner/shards.ts),
// and how the run's --concurrency is split between them.
//
// A worker thread has its own pacing plan (src/runner/pacing-plan.ts): the
// rate-limit buckets, and the turns profiles take at one bucket for their
// lifecycle and rate checks. So every profile that can send a request into
// another's bucket must run on the same thread, or two threads would each
// spend the same limiter's window without knowing of the other:
//
// - a shared limiter (rateLimit.scope `client` or `global`): every request of
//   the run to that origin counts against it, whatever key it carries, so
//   every profile on that origin goes to one thread;
// - a per-key limiter: the requests carrying a key count against that key's
//   bucket, so profiles with the same key on one origin go together, and so
//   do a profile and another whose key it holds among its own secrets (its
//   second key, a foreign-environment key).
//
// Profiles with the same key on one origin go together even without a
// declared limit: on one thread they behave as in a single-threaded run.
// Groups are then dealt out largest first to the thread with the fewest
// profiles, so the threads' work is about even.
import type { LoadedProfile } from '../config/load-profile.js';

// A run shards only when told to (--threads n, n > 1). Memory no longer
// decides: with the workers' young generation cut (src/runner/shards.ts) and
// each cleanup's timeout signal let go when its requests are over
// (src/abort-callbacks.ts), two threads ran 1,000 profiles in 54.6-55.1 s at a
// peak RSS of 462-463 MiB on a quiet 2-core machine, under the 500 MB goal
// (one thread: 63.0-63.7 s, 373-389 MiB; bench/memory.md, "Session 13").
// What keeps one thread the default is the verdicts on a busy machine
// (bench/memory.md, "Should a big run shard by default?"): at load 12-30 two
// threads left 3-29 times as many checks that could not be judged (a
// stability window, an expiry or a grace period watched too coarsely: error,
// exit 3; 315 against 11 at 1,000 profiles), never a wrong verdict, but a gate
// that is "not verified" whenever its runner is busy gets switched off. On a
// quiet machine two threads were 22% faster at 1,000 profiles for 5% more CPU.

export interface ShardRequest {
  readonly profiles: readonly Pick<LoadedProfile, 'profile' | 'secrets'>[];
  /** --threads: undefined or 1 is one thread (no workers). */
  readonly threads?: number;
  /** The run's --concurrency: profiles that work at once, over all threads. */
  readonly concurrency: number;
  /** Manual lifecycle steps ask on this thread's terminal: never sharded. */
  readonly interactive?: boolean;
}

export interface Shard {
  /** Indices of the run's profiles, in run order. */
  readonly profiles: readonly number[];
  /** This shard's share of --concurrency (at least 1; the shares add up to it). */
  readonly concurrency: number;
}

/** The shards of a run, or undefined when it runs on one thread (no --threads, --threads 1, --interactive). */
export function planShards(request: ShardRequest): Shard[] | undefined {
  const { profiles, concurrency, threads } = request;
  if (request.interactive || threads === undefined || threads === 1) return undefined;
  const groups = bucketGroups(profiles);
  const count = Math.min(threads, concurrency, groups.length);
  if (count < 2) return undefined;

  const members: number[][] = Array.from({ length: count }, () => []);
  // Largest group first, to the shard with the fewest profiles (the lowest-numbered among equals).
  const bySize = [...groups].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  for (const group of bySize) {
    let least = 0;
    for (let s = 1; s < count; s++) if (members[s]!.length < members[least]!.length) least = s;
    members[least]!.push(...group);
  }
  const shares = splitConcurrency(
    concurrency,
    members.map((m) => m.length),
  );
  return members.map((m, s) => ({ profiles: m.sort((a, b) => a - b), concurrency: shares[s]! }));
}

/** Profiles that must share a thread, as groups of indices (each in run order). */
export function bucketGroups(profiles: ShardRequest['profiles']): number[][] {
  const parent = profiles.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const join = (a: number, b: number) => {
    const [ra, rb] = [root(a), root(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  // The first profile seen on each shared-limiter origin, and with each key on each origin.
  const sharedOrigins = new Set(
    profiles.filter((p) => p.profile.rateLimit && p.profile.rateLimit.scope !== 'key').map((p) => p.profile.target.origin),
  );
  const byOrigin = new Map<string, number>();
  const byKey = new Map<string, number>();
  const keyOf = (origin: string, secret: string) => `${origin} ${secret}`;
  for (const [i, { profile }] of profiles.entries()) {
    const origin = profile.target.origin;
    if (sharedOrigins.has(origin)) {
      const first = byOrigin.get(origin);
      if (first === undefined) byOrigin.set(origin, i);
      else join(first, i);
    }
    const key = keyOf(origin, profile.key.secret);
    const first = byKey.get(key);
    if (first === undefined) byKey.set(key, i);
    else join(first, i);
  }
  // A profile holding another's key (its second key, say) sends requests into that key's bucket.
  for (const [i, p] of profiles.entries())
    for (const secret of p.secrets) {
      const owner = byKey.get(keyOf(p.profile.target.origin, secret));
      if (owner !== undefined) join(owner, i);
    }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < profiles.length; i++) {
    const r = root(i);
    const group = groups.get(r) ?? [];
    group.push(i);
    groups.set(r, group);
  }
  return [...groups.values()];
}

/** `total` slots split over shards of these sizes: at least one each, the rest where the most profiles share a slot. */
export function splitConcurrency(total: number, sizes: readonly number[]): number[] {
  const shares = sizes.map(() => 1);
  for (let left = total - sizes.length; left > 0; left--) {
    let most = 0;
    for (let s = 1; s < sizes.length; s++) if (sizes[s]! / shares[s]! > sizes[most]! / shares[most]!) most = s;
    shares[most]!++;
  }
  return shares;
}
