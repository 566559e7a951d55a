// One row of the detection matrix: a defect switched on in the reference
// target (a fault, as on the CLI) or built into the profile (a variant), and
// the one check that must catch it, under each limiter a platform may have.
// The README table is generated from these.

/**
 * The rate limiters the matrix runs every case under: the reference target's
 * default (one bucket per key), and the client-rate-limit behaviour (one
 * bucket per client address that counts every request and answers before
 * authentication), with the profile declaring it (rateLimit.scope: client).
 */
export const LIMITERS = ['per-key', 'per-client'] as const;
export type Limiter = (typeof LIMITERS)[number];

/** The reference-target behaviours that make each limiter. */
export const LIMITER_BEHAVIOURS: Readonly<Record<Limiter, readonly string[]>> = {
  'per-key': [],
  'per-client': ['client-rate-limit=20'],
};

export interface DetectionCase {
  /** Short, unique, e.g. "prefix-match". */
  readonly name: string;
  /** Reference-target faults, NAME[=VALUE] as on the CLI (`--fault`). */
  readonly faults: readonly string[];
  /** Platform behaviours the target runs with, NAME[=VALUE] (`--behaviour`); the profile declares them truthfully (src/demo/declare.ts). */
  readonly behaviours?: readonly string[];
  /** A profile variant generated at test time (see request-variants.ts), e.g. a key created with over-broad scopes. */
  readonly profileVariant?: string;
  /** The check id that must fail; every other check of its phase must pass. */
  readonly expectFail: string;
  /** What the defect is, for cases that are not a fault (a fault's own description is used otherwise). */
  readonly defect?: string;
  /** Where the defect was seen, for cases that are not a fault (a fault's `seenIn` is used otherwise). */
  readonly seenIn?: string;
  /** Limiters under which the defect means nothing, and why: the matrix says so rather than dropping the case. */
  readonly notUnder?: Partial<Record<Limiter, string>>;
}
