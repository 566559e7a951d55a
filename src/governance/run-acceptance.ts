// `keyprobe run --baseline <results.json> --waivers <file> --fail-on new|any`:
// a nightly run against production can gate on regressions only. The check
// results keep their verdicts — a failure is still reported as a failure —
// but an accepted one (waived, or persisting under --fail-on new) stops
// gating, says why, and the launch verdict is recomputed from what still gates.
import { type CheckResult, mapProfiles, type ProfileSource, type RunAcceptance, type RunResult } from '../result.js';
import { launchVerdict, type VerdictInput } from '../runner/verdict.js';
import { resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { Acceptor, FAIL_ON, whyAccepted, type AcceptanceInput, type FailOn } from './acceptance.js';
import { profileSubjects, readBaseline } from './baseline.js';
import { describeWaiver, loadWaivers, type WaiverTargets, waiverLabel } from './waivers.js';

export interface AcceptedRun {
  readonly result: RunResult<ProfileSource> & { readonly acceptance: RunAcceptance };
  /** Lines for the console, before the summary: what was accepted and why. */
  readonly explanation: readonly string[];
  /** One line for after the verdict, when it passed over accepted failures; empty otherwise. */
  readonly verdictNote: string;
}

export function applyRunAcceptance(result: RunResult<ProfileSource>, input: AcceptanceInput, now = Date.now()): AcceptedRun {
  const acceptor = new Acceptor(input, now);
  const accepted: RunAcceptance['accepted'][number][] = [];
  const fresh: RunAcceptance['new'][number][] = [];
  const subjects = profileSubjects([...profileSummaries(result.profiles)]);
  // One pass judges every failure and error; what it changed is kept by place (profile, check), small, and applied
  // whenever a reporter reads a profile, so a spooled run is never held in memory for it.
  const changed = new Map<string, CheckResult>();
  const ran = new Set<string>();
  const before: VerdictInput[] = [];
  const after: VerdictInput[] = [];
  let pi = 0;
  for (const p of result.profiles) {
    const subject = subjects[pi]!;
    const judge = (c: CheckResult): CheckResult => {
      if (c.verdict !== 'fail' && c.verdict !== 'error') return c;
      const a = acceptor.judge('check', c.id, subject, p.profile.keyName, c.verdict);
      const advisories = [...c.advisories];
      if (a.status === 'new') fresh.push({ key: subject, check: c.id, verdict: c.verdict });
      if (a.status === 'new' && input.baseline) advisories.push(`new since the baseline run ${input.baseline.runId}`);
      if (a.expiredWaiver) advisories.push(`the waiver ${describeWaiver(a.expiredWaiver)} has expired: it no longer waives`);
      const why = whyAccepted(a, input.baseline);
      if (why === undefined || !c.gating) return advisories.length === c.advisories.length ? c : { ...c, advisories };
      accepted.push({ key: subject, check: c.id, verdict: c.verdict, why });
      return { ...c, gating: false, advisories: [...advisories, `accepted, not gating this run: ${why}`] };
    };
    for (const [ci, c] of p.checks.entries()) {
      const judged = judge(c);
      if (judged !== c) changed.set(`${pi}/${ci}`, judged);
      before.push(c);
      after.push(judged);
      // Resolved means it ran again and did not end the same way; a check this run left out says nothing.
      if (c.verdict !== 'skip') ran.add(`${subject}\u0001${c.id}`);
    }
    pi++;
  }
  const profiles = mapProfiles(result.profiles, (p, i) =>
    p.checks.some((_, ci) => changed.has(`${i}/${ci}`)) ? { ...p, checks: p.checks.map((c, ci) => changed.get(`${i}/${ci}`) ?? c) } : p,
  );

  // The verdict from the checks and the cleanups (a key left changed is never waived); should the
  // recorded one rest on more than that, acceptance leaves it alone.
  const cleanups = result.cleanup?.records ?? [];
  const verdictBefore = launchVerdict(before, result.incomplete, cleanups);
  const decidedByChecks = verdictBefore.verdict === result.verdict && verdictBefore.exitCode === result.exitCode;
  const verdictAfter = launchVerdict(after, result.incomplete, cleanups);
  const resolved = acceptor
    .resolved()
    .filter((i) => ran.has(`${i.id}\u0001${i.rule}`))
    .map((i) => ({ key: i.id, check: i.rule, was: i.aspect ?? 'fail' }));
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
  const verdictNote = accepted.length
    ? `The verdict leaves out ${accepted.length} accepted failure${accepted.length === 1 ? '' : 's'} (see "Governance" above); they are still failures in every report.`
    : '';
  return {
    verdictNote,
    result: {
      ...result,
      profiles,
      ...(decidedByChecks ? { verdict: verdictAfter.verdict, exitCode: verdictAfter.exitCode } : {}),
      acceptance,
    },
    explanation,
  };
}

/** Each profile's summary, one profile read at a time. */
function* profileSummaries(profiles: ProfileSource): Generator<{ readonly profile: { readonly keyName: string; readonly file?: string } }> {
  for (const p of profiles) yield { profile: p.profile };
}

export interface GovernanceOptions {
  readonly baseline?: string;
  readonly waivers?: string;
  readonly failOn?: string;
}

/**
 * Reads --baseline, --waivers and --fail-on for `keyprobe run`, before any
 * request: a bad file is exit 2 with every problem located. Undefined when
 * none is given (the run gates as it always has). `targets`: the rule and
 * check ids a waiver may name.
 */
export function loadRunAcceptance(cwd: string, opts: GovernanceOptions, targets: WaiverTargets): AcceptanceInput | undefined {
  if (opts.failOn !== undefined && !(FAIL_ON as readonly string[]).includes(opts.failOn))
    throw new UsageError(`--fail-on must be new or any, got "${opts.failOn}"`);
  const failOn = (opts.failOn ?? 'any') as FailOn;
  if (failOn === 'new' && !opts.baseline)
    throw new UsageError('--fail-on new needs --baseline <previous results.json>: new is relative to it');
  if (!opts.baseline && !opts.waivers && opts.failOn === undefined) return undefined;
  const problems: ConfigError['problems'][number][] = [];
  const load = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const baseline = opts.baseline ? load(() => readBaseline(resolve(cwd, opts.baseline!), opts.baseline)) : undefined;
  if (baseline && baseline.kind !== 'run')
    problems.push({
      file: baseline.file,
      path: '',
      message: 'is the findings.json of an audit; a run baseline is the results.json of an earlier run',
    });
  const waivers = opts.waivers ? load(() => loadWaivers(resolve(cwd, opts.waivers!), targets, opts.waivers)) : undefined;
  if (problems.length) throw new ConfigError(problems);
  return { failOn, ...(baseline ? { baseline } : {}), ...(waivers ? { waivers } : {}) };
}
