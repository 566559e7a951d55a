// `keyprobe run --baseline <results.json> --waivers <file> --fail-on new|any`:
// a nightly run against production can gate on regressions only. The check
// results keep their verdicts — a failure is still reported as a failure —
// but an accepted one (waived, or persisting under --fail-on new) stops
// gating, says why, and the launch verdict is recomputed from what still gates.
import { allChecks, type CheckResult, type RunResult } from '../result.js';
import { launchVerdict } from '../runner/verdict.js';
import { Acceptor, whyAccepted, type AcceptanceInput, type FailOn } from './acceptance.js';
import { describeWaiver, waiverLabel } from './waivers.js';

/** What `results.json` says about acceptance, for reports and `keyprobe diff`. */
export interface RunAcceptance {
  readonly failOn: FailOn;
  readonly baseline?: { readonly file: string; readonly runId: string; readonly asOf?: string };
  readonly waivers?: {
    readonly file: string;
    readonly inForce: number;
    /** Expired waivers (they no longer waive), as "target for key (file:line) expired …". */
    readonly expired: readonly string[];
    /** Waivers that matched nothing in this run. */
    readonly unused: readonly string[];
  };
  /** Check results that did not gate, and why. */
  readonly accepted: readonly { readonly key: string; readonly check: string; readonly verdict: string; readonly why: string }[];
  /** Failures and errors the baseline did not have. */
  readonly new: readonly { readonly key: string; readonly check: string; readonly verdict: string }[];
  /** Failures and errors of the baseline this run no longer has. */
  readonly resolved: readonly { readonly key: string; readonly check: string; readonly was: string }[];
}

export interface AcceptedRun {
  readonly result: RunResult & { readonly acceptance: RunAcceptance };
  /** Lines for the console, after the summary: what was accepted and why. */
  readonly explanation: readonly string[];
}

export function applyRunAcceptance(result: RunResult, input: AcceptanceInput, now = Date.now()): AcceptedRun {
  const acceptor = new Acceptor(input, now);
  const accepted: RunAcceptance['accepted'][number][] = [];
  const fresh: RunAcceptance['new'][number][] = [];
  const profiles = result.profiles.map((p) => {
    const checks = p.checks.map((c): CheckResult => {
      if (c.verdict !== 'fail' && c.verdict !== 'error') return c;
      const a = acceptor.judge('check', c.id, p.profile.keyName, undefined, c.verdict);
      const advisories = [...c.advisories];
      if (a.status === 'new') fresh.push({ key: p.profile.keyName, check: c.id, verdict: c.verdict });
      if (a.status === 'new' && input.baseline) advisories.push(`new since the baseline run ${input.baseline.runId}`);
      if (a.expiredWaiver) advisories.push(`the waiver ${describeWaiver(a.expiredWaiver)} has expired: it no longer waives`);
      const why = whyAccepted(a, input.baseline);
      if (why === undefined || !c.gating) return advisories.length === c.advisories.length ? c : { ...c, advisories };
      accepted.push({ key: p.profile.keyName, check: c.id, verdict: c.verdict, why });
      return { ...c, gating: false, advisories: [...advisories, `accepted, not gating this run: ${why}`] };
    });
    return { ...p, checks };
  });

  // The recorded verdict may rest on more than the checks (a failed cleanup): then acceptance leaves it alone.
  const before = launchVerdict(allChecks(result), result.incomplete);
  const decidedByChecks = before.verdict === result.verdict && before.exitCode === result.exitCode;
  const after = launchVerdict(
    profiles.flatMap((p) => p.checks),
    result.incomplete,
  );
  const resolved = acceptor.resolved().map((i) => ({ key: i.id, check: i.rule, was: i.aspect ?? 'fail' }));
  const waivers = input.waivers;
  const acceptance: RunAcceptance = {
    failOn: input.failOn,
    ...(input.baseline
      ? {
          baseline: {
            file: input.baseline.file,
            runId: input.baseline.runId,
            ...(input.baseline.asOf ? { asOf: input.baseline.asOf } : {}),
          },
        }
      : {}),
    ...(waivers
      ? {
          waivers: {
            file: waivers.file,
            inForce: waivers.waivers.length - waivers.expiredAt(now).length,
            expired: waivers.expiredAt(now).map((w) => `${waiverLabel(w)} expired ${w.expires}`),
            unused: waivers.unused().map(waiverLabel),
          },
        }
      : {}),
    accepted,
    new: fresh,
    resolved,
  };
  const explanation: string[] = [];
  for (const a of accepted) explanation.push(`  accepted ${a.check} on ${a.key} (${a.verdict}): ${a.why}`);
  if (input.baseline)
    explanation.push(
      `  against the baseline run ${input.baseline.runId}: ${fresh.length} new, ${resolved.length} resolved${resolved.length ? ` (${resolved.map((r) => `${r.check} on ${r.key}`).join(', ')})` : ''}`,
    );
  for (const e of acceptance.waivers?.expired ?? []) explanation.push(`  waiver ${e}: it no longer waives`);
  for (const u of acceptance.waivers?.unused ?? []) explanation.push(`  waiver ${u} matched nothing in this run`);
  if (explanation.length) explanation.unshift(`Governance (--fail-on ${input.failOn}):`);
  return {
    result: {
      ...result,
      profiles,
      ...(decidedByChecks ? { verdict: after.verdict, exitCode: after.exitCode } : {}),
      acceptance,
    },
    explanation,
  };
}
