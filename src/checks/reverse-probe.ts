// The one derive → send → judge loop of the reverse checks. A check derives
// requests that must be refused (bad credentials, no credential, resources
// the key may not reach) and says how to word what it finds; this sends each
// through the check's one HTTP client and judges the answer:
//
// - a status of the request's refusal list: refused (an advisory may be added);
// - 2xx: served; 5xx: a server error, unless the target fails the valid key
//   too (an outage: nothing can be judged, `error`); anything else: the wrong
//   refusal. Each of these is a failure, with the answer that proved it.
// - Any answer may say back what no refusal may (rules.echoes: a form of the
//   key, a stack trace): a failure too, even where the status was right.
// - A throttled answer is never judged: the client waits throttles out (the
//   throttle rule, src/http/throttle.ts), and one that stays throttled comes
//   back as a CheckError, which, like a network failure, is an `error`.
import type { Credential, HttpResponse } from '../http/client.js';
import { CheckError } from '../errors.js';
import type { CheckContext, CheckOutcome, OutcomeFinding } from './check.js';
import { probeResource, refusalProblem } from './credentials.js';
import { isSuccess, statusText } from './describe.js';
import { unsearchedBody } from './refusal-echo.js';
import { softRefusal } from './soft-refusal.js';
import type { DataInRefusal } from './served-data.js';
import { isServerError, targetFailsForValidKeyToo } from './server-errors.js';

interface Resource {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One derived request that must be refused. */
export interface ReverseRequest {
  /** How it is named in failures and errors, e.g. "random key-shaped value" or "GET /admin". */
  readonly name: string;
  /** The evidence label; default "name: METHOD path". */
  readonly label?: string;
  readonly resource: Resource;
  /** Default: the profile's key. */
  readonly credential?: Credential;
  /** The statuses that refuse it as it must be refused, or a rule for them (e.g. "anything but 2xx"). */
  readonly refusal: readonly number[] | ((status: number) => boolean);
  /** The profile field it concerns, for its finding, e.g. ['denied', 3]. */
  readonly path?: (string | number)[];
}

export type Answer = 'refused' | 'served' | 'server error' | 'wrong refusal';

/** A sent request and how its answer was judged. */
export interface Judged<R extends ReverseRequest> {
  readonly request: R;
  readonly response: HttpResponse;
  readonly answer: Answer;
  /** Why it fails (empty: it passes): the answer's problem, then any the check's `inspect` found. */
  readonly problems: readonly string[];
}

/** How a check words and extends the judging; every hook is optional. */
export interface ReverseRules<R extends ReverseRequest> {
  /**
   * Asks, for a 5xx, whether the target fails the valid key too: words for
   * an `error`, or undefined (the 5xx was the answer, a failure). Default:
   * once per check, on the credential probe resource; `false`: never asked.
   */
  readonly outage?: ((request: R, status: number) => Promise<string | undefined>) | false;
  /** The problem a non-refusal is, in the check's words; default refusalProblem ("401 Unauthorized: the credential was accepted"). */
  problem?(request: R, response: HttpResponse, answer: Exclude<Answer, 'refused'>): string;
  /** More problems found on any answer (judged on the raw body, e.g. a leaked key). */
  inspect?(request: R, response: HttpResponse): readonly string[];
  /** A refusal whose body holds the resource's data as the valid key is served it (src/checks/served-data.ts). */
  readonly dataInRefusal?: DataInRefusal;
  /** What an answer says back that no refusal may (a form of the key, a stack trace: src/checks/refusal-echo.ts). */
  echoes?(response: HttpResponse, request: R): readonly string[];
  /** Words for a refusal, collected (with `judgeServed`'s passes) into `passes`, in order. */
  refused?(request: R, response: HttpResponse): string;
  /** An advisory for a refusal that is accepted but short of the standard. */
  advise?(request: R, response: HttpResponse): string | undefined;
  /** A served answer the check judges itself (e.g. by whose data it holds); undefined: a failure as usual. */
  judgeServed?(request: R, response: HttpResponse): Promise<{ failure?: string; error?: string; pass?: string } | undefined>;
  /** A failure line; default "name → problems". */
  failure?(request: R, problems: readonly string[]): string;
  /** An error line; default "name: why". */
  error?(request: R, why: string): string;
  /** Stop at the first request that could not be judged, sending no more (the outcome is then `error`). */
  readonly stopAtError?: boolean;
}

export interface ReverseResult<R extends ReverseRequest> {
  readonly judged: readonly Judged<R>[];
  readonly failures: readonly string[];
  readonly errors: readonly string[];
  readonly advisories: readonly string[];
  /** Words of the requests that passed, from `refused` and `judgeServed`, in order. */
  readonly passes: readonly string[];
  readonly findings: readonly OutcomeFinding[];
}

/** Sends every request in order and judges each answer (see the top of this file). */
export async function deriveAndJudge<R extends ReverseRequest>(
  ctx: CheckContext,
  requests: readonly R[],
  rules: ReverseRules<R> = {},
): Promise<ReverseResult<R>> {
  const judged: Judged<R>[] = [];
  const failures: string[] = [];
  const errors: string[] = [];
  const advisories = new Set<string>();
  const passes: string[] = [];
  const findings: OutcomeFinding[] = [];
  const outage = rules.outage === false ? undefined : (rules.outage ?? onceForTheCheck(ctx));
  const failureLine = rules.failure ?? ((r: R, problems: readonly string[]) => `${r.name} → ${problems.join('; ')}`);
  const errorLine = rules.error ?? ((r: R, why: string) => `${r.name}: ${why}`);

  for (const request of requests) {
    const { resource } = request;
    let response: HttpResponse;
    try {
      response = await ctx.http.send({
        label: request.label ?? `${request.name}: ${resource.method} ${resource.path}`,
        method: resource.method,
        path: resource.path,
        body: resource.body,
        headers: resource.headers,
        ...(request.credential ? { credential: request.credential } : {}),
      });
    } catch (err) {
      // Stayed throttled, timed out, the budget is spent: never judged.
      if (!(err instanceof CheckError)) throw err;
      errors.push(errorLine(request, err.message));
      if (rules.stopAtError) break;
      continue;
    }
    const answer = answerOf(response.status, request.refusal);
    if (answer === 'served' && rules.judgeServed) {
      const own = await rules.judgeServed(request, response);
      if (own) {
        if (own.failure) {
          ctx.http.markFailing(response);
          failures.push(own.failure);
          findings.push({ title: `${request.name} was served`, message: own.failure, response, ...pathOf(request) });
        } else if (own.error) errors.push(own.error);
        else if (own.pass) passes.push(own.pass);
        judged.push({ request, response, answer, problems: own.failure ? [own.failure] : [] });
        continue;
      }
    }
    if (answer === 'server error' && outage) {
      const down = await outage(request, response.status);
      if (down) {
        // The exchange still shows the 5xx, but an outage judges nothing.
        ctx.http.markFailing(response);
        errors.push(errorLine(request, down));
        judged.push({ request, response, answer, problems: [] });
        continue;
      }
    }
    const problems: string[] = [];
    if (answer !== 'refused')
      problems.push(
        (rules.problem?.(request, response, answer) ??
          (typeof request.refusal === 'function'
            ? `${statusText(response.status)}: not refused`
            : (refusalProblem(response.status, request.refusal) ?? ''))) + softRefusalNote(ctx, response),
      );
    problems.push(...(rules.inspect?.(request, response) ?? []));
    const echoes = rules.echoes?.(response, request) ?? [];
    // On a refusal the status was right: say so, as for data in a refusal below.
    if (echoes.length > 0)
      problems.push(answer === 'refused' ? `refused with ${statusText(response.status)}, but ${echoes.join('; ')}` : echoes.join('; '));
    if (answer === 'refused' && rules.dataInRefusal) {
      const leak = await rules.dataInRefusal(resource, response);
      if (leak) problems.push(`refused with ${statusText(response.status)}, but ${leak}`);
    }
    if (answer === 'refused') {
      const advisory = rules.advise?.(request, response);
      if (advisory) advisories.add(advisory);
      const words = rules.refused?.(request, response);
      if (words && problems.length === 0) passes.push(words);
    }
    // A body that could not be searched: a refusal otherwise right is not verified; a failure says it besides.
    const unsearched = rules.echoes || rules.inspect ? unsearchedBody(response) : undefined;
    if (unsearched && answer === 'refused' && problems.length === 0) {
      ctx.http.markFailing(response);
      errors.push(errorLine(request, `refused with ${statusText(response.status)}, but ${unsearched}`));
    } else if (unsearched) advisories.add(`${request.name}: ${unsearched}`);
    judged.push({ request, response, answer, problems });
    if (problems.length === 0) continue;
    ctx.http.markFailing(response);
    const line = failureLine(request, problems);
    failures.push(line);
    findings.push({ title: `${request.name}: ${problems[0]}`, message: line, response, ...pathOf(request) });
  }
  return { judged, failures, errors, advisories: [...advisories], passes, findings };
}

function answerOf(status: number, refusal: ReverseRequest['refusal']): Answer {
  if (typeof refusal === 'function' ? refusal(status) : refusal.includes(status)) return 'refused';
  if (isSuccess(status)) return 'served';
  if (isServerError(status)) return 'server error';
  return 'wrong refusal';
}

function pathOf(request: ReverseRequest): { path?: (string | number)[] } {
  return request.path ? { path: request.path } : {};
}

/** Asks once per check (on the credential probe resource) whether the target fails the valid key too. */
function onceForTheCheck(ctx: CheckContext): (request: ReverseRequest, status: number) => Promise<string | undefined> {
  let verdict: Promise<string | undefined> | undefined;
  return (_request, status) => (verdict ??= targetFailsForValidKeyToo(ctx, probeResource(ctx.profile), status));
}

/** Asks for each 5xx, on the request's own resource, whether the valid key fails there too. */
export function outageOnItsResource(ctx: CheckContext): (request: ReverseRequest, status: number) => Promise<string | undefined> {
  return (request, status) => targetFailsForValidKeyToo(ctx, request.resource, status);
}

/** The words of a reverse check's outcome. */
export interface ReverseWords {
  /** What had to hold, e.g. "one of 400, 401, 403 for every invalid credential on GET /v1/agents". */
  readonly expected: string;
  /** The fail message, given the failures joined with "; ". */
  failed(failures: string): string;
  /** The pass message. */
  readonly passed: string;
  readonly measurements?: CheckOutcome['measurements'];
}

/** fail on any failure, else error on any error ("could not verify: …"), else pass; with the findings and advisories. */
export function reverseOutcome(result: ReverseResult<ReverseRequest>, words: ReverseWords): CheckOutcome {
  const common = {
    expected: words.expected,
    ...(result.advisories.length ? { advisories: result.advisories } : {}),
    ...(words.measurements ? { measurements: words.measurements } : {}),
  };
  if (result.failures.length > 0) {
    const observed = result.failures.join('; ');
    return { verdict: 'fail', message: words.failed(observed), observed, findings: result.findings, ...common };
  }
  if (result.errors.length > 0) return { verdict: 'error', message: `could not verify: ${result.errors.join('; ')}`, ...common };
  return { verdict: 'pass', message: words.passed, ...common };
}

/**
 * A 2xx whose body reads as a refusal (Slack's `{"ok":false}`) still fails a
 * reverse check: clients, caches and monitors read the status, and it is not
 * the refusal the profile declares. Quoting the body tells the reader why it
 * looks like one (redacted: a server wrote it).
 */
function softRefusalNote(ctx: CheckContext, response: HttpResponse): string {
  const said = softRefusal(response);
  return said
    ? ` (its body reads as a refusal: ${ctx.secrets.redact(said)}; a success status is not the refusal the profile declares)`
    : '';
}
