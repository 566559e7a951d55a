// One row of the detection matrix: a defect switched on in the reference
// target (a fault, as on the CLI) or built into the profile (a variant), and
// the one check that must catch it. The README table is generated from these.

export interface DetectionCase {
  /** Short, unique, e.g. "prefix-match". */
  readonly name: string;
  /** Reference-target faults, NAME[=VALUE] as on the CLI (`--fault`). */
  readonly faults: readonly string[];
  /** Platform behaviours the target runs with, NAME[=VALUE] (`--behaviour`); the profile variant then describes them truthfully. */
  readonly behaviours?: readonly string[];
  /** A profile variant generated at test time (see request-variants.ts), e.g. a key created with over-broad scopes. */
  readonly profileVariant?: string;
  /** The check id that must fail; every other check of its phase must pass. */
  readonly expectFail: string;
  /** What the defect is, for cases that are not a fault (a fault's own description is used otherwise). */
  readonly defect?: string;
  /** Where the defect was seen, for cases that are not a fault (a fault's `seenIn` is used otherwise). */
  readonly seenIn?: string;
}
