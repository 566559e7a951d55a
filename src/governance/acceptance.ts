// Which findings gate: with a baseline, each finding is new or persisting;
// with waivers, a finding may be accepted until a date. `--fail-on any` (the
// default) gates on every finding not waived; `--fail-on new` only on findings
// the baseline did not have. Shared by `keyprobe audit` (findings) and
// `keyprobe run` (check results).
import { baselineItems, itemKey, ruleKey, type Baseline, type BaselineItem, type ItemKind } from './baseline.js';
import { describeWaiver, type Waiver, type WaiverSet } from './waivers.js';

export type FailOn = 'new' | 'any';
export const FAIL_ON: readonly FailOn[] = ['new', 'any'];

export interface AcceptanceInput {
  readonly baseline?: Baseline;
  readonly waivers?: WaiverSet;
  readonly failOn: FailOn;
}

export type ItemStatus = 'new' | 'persisting';

/** What acceptance says about one finding. */
export interface ItemAcceptance {
  /** Only with a baseline. */
  readonly status?: ItemStatus;
  /** The waiver in force for it. */
  readonly waiver?: Waiver;
  /** A waiver that matched it but has expired: it no longer waives. */
  readonly expiredWaiver?: Waiver;
  /** Whether it decides the gate. */
  readonly counts: boolean;
}

export class Acceptor {
  /** Baseline items this run has too. */
  private readonly seen = new Set<BaselineItem>();
  /** The baseline's items of the rule judged last (findings come rule by rule): no key built per finding. */
  private last: { kind: ItemKind | ''; rule: string; items: ReadonlyMap<string, BaselineItem> | undefined } = {
    kind: '',
    rule: '',
    items: undefined,
  };

  constructor(
    readonly input: AcceptanceInput,
    private readonly now: number,
  ) {}

  judge(kind: ItemKind, rule: string, id: string, name?: string, aspect?: string): ItemAcceptance {
    const { baseline, waivers, failOn } = this.input;
    let status: ItemStatus | undefined;
    if (baseline) {
      if (this.last.kind !== kind || this.last.rule !== rule) this.last = { kind, rule, items: baseline.byRule.get(ruleKey(kind, rule)) };
      const before = this.last.items?.get(itemKey(id, aspect));
      status = before ? 'persisting' : 'new';
      if (before) this.seen.add(before);
    }
    const w = waivers?.match(rule, id, name, this.now);
    const counts = !w?.active && (failOn === 'any' || status !== 'persisting');
    // The common case (a baseline, no waiver) without spreading: it runs once per finding of 100,000 keys.
    if (!w?.active && !w?.expired) return status ? { status, counts } : { counts };
    return {
      ...(status ? { status } : {}),
      ...(w.active ? { waiver: w.active } : {}),
      ...(w.expired ? { expiredWaiver: w.expired } : {}),
      counts,
    };
  }

  /** Baseline items this run no longer has (call after judging every item). */
  resolved(): BaselineItem[] {
    const { baseline } = this.input;
    if (!baseline) return [];
    const out: BaselineItem[] = [];
    for (const item of baselineItems(baseline)) if (!this.seen.has(item)) out.push(item);
    return out;
  }
}

/** A short tag for an item in text reports: "[new]", "[persisting]", "[waived by … until …: …]". */
export function acceptanceTag(a: ItemAcceptance | undefined): string {
  if (!a) return '';
  const parts: string[] = [];
  if (a.status) parts.push(a.status);
  if (a.waiver) parts.push(describeWaiver(a.waiver));
  if (a.expiredWaiver) parts.push(`waiver expired ${a.expiredWaiver.expires} (${a.expiredWaiver.owner}): no longer waived`);
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

/** Why an accepted item does not gate, in a sentence fragment. */
export function whyAccepted(a: ItemAcceptance, baseline: Baseline | undefined): string | undefined {
  if (a.counts) return undefined;
  if (a.waiver) return describeWaiver(a.waiver);
  return `persisting since the baseline (run ${baseline?.runId ?? '?'}), and --fail-on new gates only on what is new`;
}
