// Seeded random numbers for tests that compare two implementations on many
// random inputs: the seed is printed with a failure, so the failing input can
// be made again.

/** Random integers below `n`. */
export type Random = (n: number) => number;

/** Random integers below `n` (xorshift32) from `seed`. */
export function prng(seed: number): Random {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}
