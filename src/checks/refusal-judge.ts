// Judging what every refusal of one key says back, where a check refuses
// that key many times over: a disabled key polled until refused and then
// watched through a stability window, an expired key polled until refused, a
// rotated-out key probed past its grace period. Each refusal is judged by
// refusalEchoes (refusal-echo.ts: the run's leak scanner over the body and
// every header, stack traces), the same rule the auth checks apply; but a
// window of a hundred refusals that all quote the key is one defect, so the
// evidence keeps only the first refusal that said too much, and the others
// are counted. Such a refusal is a defect whatever the timing: a check that
// could otherwise not judge (a throttled window, an unverified expiry) still
// fails on it, and says what it could not judge besides.
import type { HttpResponse } from '../http/client.js';
import { isThrottled } from '../http/throttle.js';
import type { CheckContext, CheckOutcome, OutcomeFinding } from './check.js';
import { statusText } from './describe.js';
import { refusalEchoes, unsearchedBody, type RefusedSecret } from './refusal-echo.js';

/**
 * A check's `run` whose refusals are all judged: `body` runs with a fresh
 * judge, which it hands the refusals it sees (RefusalJudge.about, judge,
 * keepAsEvidence), and its outcome is failed where one said too much.
 */
export function judgingRefusals<C extends CheckContext, P>(
  body: (ctx: C, params: P, refusals: RefusalJudge) => Promise<CheckOutcome>,
): (ctx: C, params: P) => Promise<CheckOutcome> {
  return async (ctx, params) => {
    const refusals = new RefusalJudge(ctx);
    return refusals.outcome(await body(ctx, params, refusals));
  };
}

interface Offence {
  readonly response: HttpResponse;
  readonly problems: readonly string[];
}

export class RefusalJudge {
  private refused: RefusedSecret | undefined;
  private path: readonly (string | number)[] = [];
  private first: Offence | undefined;
  private offending = 0;
  private judged = 0;
  /** Refusals whose body could not be searched (still content-coded), and why the first could not. */
  private unsearched = 0;
  private unsearchedWhy: string | undefined;
  /** Problems already found for an answer (keepAsEvidence judged it before the check did). */
  private readonly seen = new WeakMap<HttpResponse, readonly string[]>();

  constructor(private readonly ctx: CheckContext) {}

  /** The key the refusals are of, what to call it ("the created canary"), and the profile field a finding points at. */
  about(refused: RefusedSecret, path: readonly (string | number)[]): void {
    this.refused = refused;
    this.path = path;
  }

  /**
   * For the HTTP client (SendOptions.recordIf): keep an answer as evidence
   * when it is the first refusal that says too much, so a probe not otherwise
   * recorded still shows what it revealed.
   */
  readonly keepAsEvidence = (response: HttpResponse): boolean =>
    this.refused !== undefined && this.first === undefined && this.isRefusal(response) && this.problemsOf(response).length > 0;

  /** Judges one refusal of the key (an answer with a rejection status). */
  judge(response: HttpResponse): void {
    if (!this.refused) return;
    this.judged++;
    const why = unsearchedBody(response);
    if (why) {
      this.unsearched++;
      this.unsearchedWhy ??= why;
    }
    const problems = this.problemsOf(response);
    if (problems.length === 0) return;
    this.offending++;
    if (this.first) return;
    this.first = { response, problems };
    this.ctx.http.markFailing(response);
  }

  /** The check's outcome, failed where a refusal said too much (see the top of this file). */
  outcome(checked: CheckOutcome): CheckOutcome {
    const o = this.withUnsearched(checked);
    const { first, refused } = this;
    if (!first || !refused || o.verdict === 'skip') return o;
    const more = this.offending > 1 ? ` (${this.offending} of ${this.judged} refusals said too much; the first is kept as evidence)` : '';
    const line = `the refusal of ${refused.name} said too much: ${statusText(first.response.status)}, ${first.problems.join('; ')}${more}`;
    const finding: OutcomeFinding = {
      title: `The refusal of ${refused.name} says too much`,
      message: line,
      response: first.response,
      path: this.path,
    };
    const expected = `${o.expected ? `${o.expected}; ` : ''}no refusal revealing a secret or a stack trace`;
    const measurements = { ...o.measurements, refusalsThatSaidTooMuch: this.offending };
    if (o.verdict === 'fail')
      return {
        ...o,
        message: `${o.message}; ${line}`,
        expected,
        observed: `${o.observed ? `${o.observed}; ` : ''}${line}`,
        measurements,
        // Without findings the runner makes one of the message, which holds both.
        ...(o.findings?.length ? { findings: [...o.findings, finding] } : {}),
      };
    // Passed, or could not be judged otherwise: the refusal that said too much is proof enough.
    const besides = o.verdict === 'error' ? [`besides, ${o.message}`] : [];
    return {
      ...o,
      verdict: 'fail',
      message: o.verdict === 'pass' ? `${line}; ${o.message}` : line,
      expected,
      observed: line,
      advisories: [...(o.advisories ?? []), ...besides],
      measurements,
      findings: [finding],
    };
  }

  /** A pass whose refusals were not all searched is not verified: `error`; any other verdict says so besides. */
  private withUnsearched(o: CheckOutcome): CheckOutcome {
    if (this.unsearched === 0 || !this.refused || o.verdict === 'skip') return o;
    const line = `${this.unsearched} of ${this.judged} refusals of ${this.refused.name} could not be searched for what they say back (${this.unsearchedWhy})`;
    if (o.verdict !== 'pass') return { ...o, advisories: [...(o.advisories ?? []), line] };
    return { ...o, verdict: 'error', message: `could not verify: ${line}; besides, ${o.message}` };
  }

  private isRefusal(response: HttpResponse): boolean {
    return (
      this.ctx.profile.rejection.statuses.includes(response.status) &&
      !isThrottled(this.ctx.http.throttleRule, response.status, response.headers)
    );
  }

  private problemsOf(response: HttpResponse): readonly string[] {
    if (!this.refused) return [];
    let problems = this.seen.get(response);
    if (!problems) {
      problems = refusalEchoes(response, this.ctx.profile, this.ctx.secrets, this.refused);
      this.seen.set(response, problems);
    }
    return problems;
  }
}
