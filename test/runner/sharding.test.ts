// Which profiles share a worker thread (src/runner/sharding.ts): every profile
// that can send into another's rate-limit bucket, and so take turns with it,
// runs on the same thread as that profile; --concurrency is split between the
// threads; small runs, one core, --threads 1 and --interactive stay on one thread.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bucketGroups, planShards, splitConcurrency } from '../../src/runner/sharding.js';
import { loadedProfile, minimalInput } from './profiles.js';

const A = 'http://127.0.0.1:1001';
const B = 'http://127.0.0.1:1002';
const limit = (scope: 'key' | 'client' | 'global') => ({ rateLimit: { limit: 10, probe: 'GET /v1/agents', scope } });
/** A fresh key-shaped secret, made at test time (never a committed literal). */
const newKey = () => `kp_prod_${randomBytes(12).toString('hex')}`;
/** Keys the tests name by a letter: the same letter is the same key. */
const named = new Map<string, string>();
function key(letter: string): string {
  const known = named.get(letter);
  if (known) return known;
  const made = newKey();
  named.set(letter, made);
  return made;
}
const many = (n: number) => Array.from({ length: n }, () => loadedProfile(minimalInput(A, newKey(), limit('key'))));

describe('bucketGroups', () => {
  it('keeps every profile on a per-client or global limiter origin together, whatever its key', () => {
    const profiles = [
      loadedProfile(minimalInput(A, key('a'), limit('client'))),
      loadedProfile(minimalInput(B, key('b'), limit('key'))),
      // Declares a per-key limit, but its origin's limiter counts every request: its requests go into that bucket.
      loadedProfile(minimalInput(A, key('c'), limit('key'))),
      loadedProfile(minimalInput(B, key('d'), limit('global'))),
      loadedProfile(minimalInput('http://127.0.0.1:1003', key('e'), limit('key'))),
    ];
    expect(bucketGroups(profiles)).toEqual([[0, 2], [1, 3], [4]]);
  });

  it('keeps profiles with one key on one origin together, and a profile with the key of another among its secrets', () => {
    const shared = loadedProfile(minimalInput(A, key('f'), limit('key')));
    const holder = loadedProfile(minimalInput(A, key('g'), limit('key')));
    const profiles = [
      shared,
      loadedProfile(minimalInput(A, key('h'))),
      { ...holder, secrets: [...holder.secrets, key('h')] },
      loadedProfile(minimalInput(A, key('f'))),
      // The same key on another origin is another bucket.
      loadedProfile(minimalInput(B, key('f'), limit('key'))),
    ];
    expect(bucketGroups(profiles)).toEqual([[0, 3], [1, 2], [4]]);
  });
});

describe('planShards', () => {
  it('deals the groups out to the threads evenly, each with its share of --concurrency, in run order', () => {
    const profiles = many(50);
    const shards = planShards({ profiles, concurrency: 200, threads: 2 })!;
    expect(shards.map((s) => s.profiles.length)).toEqual([25, 25]);
    expect(shards.map((s) => s.concurrency)).toEqual([100, 100]);
    expect(shards.flatMap((s) => s.profiles).sort((a, b) => a - b)).toEqual(profiles.map((_, i) => i));
    for (const s of shards) expect(s.profiles).toEqual([...s.profiles].sort((a, b) => a - b));
  });

  it('uses one thread unless told otherwise, with --threads 1, --interactive, or for a run that is one group', () => {
    expect(planShards({ profiles: many(1000), concurrency: 200 })).toBeUndefined();
    expect(planShards({ profiles: many(100), concurrency: 4, threads: 1 })).toBeUndefined();
    expect(planShards({ profiles: many(100), concurrency: 4, threads: 2, interactive: true })).toBeUndefined();
    const oneOrigin = many(100).map((p) => ({
      ...p,
      profile: { ...p.profile, rateLimit: { ...p.profile.rateLimit!, scope: 'client' as const } },
    }));
    expect(planShards({ profiles: oneOrigin, concurrency: 4, threads: 4 })).toBeUndefined();
  });

  it('uses --threads even for a small run, but never more threads than --concurrency allows', () => {
    expect(planShards({ profiles: many(3), concurrency: 4, threads: 2 })?.map((s) => s.profiles)).toEqual([[0, 2], [1]]);
    expect(planShards({ profiles: many(10), concurrency: 3, threads: 8 })).toHaveLength(3);
    expect(planShards({ profiles: many(10), concurrency: 1, threads: 8 })).toBeUndefined();
  });
});

describe('splitConcurrency', () => {
  it('gives each thread at least one slot and the rest where the most profiles share one', () => {
    expect(splitConcurrency(4, [3, 1])).toEqual([3, 1]);
    expect(splitConcurrency(5, [10, 10])).toEqual([3, 2]);
    expect(splitConcurrency(2, [100, 1])).toEqual([1, 1]);
    for (const [total, sizes] of [
      [200, [400, 350, 250]],
      [7, [5, 5, 5]],
    ] as const)
      expect(splitConcurrency(total, sizes).reduce((a, b) => a + b)).toBe(total);
  });
});
