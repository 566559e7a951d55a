// Where the contract puts the key in a header, a key sent in the URL query
// must not be accepted: URLs end up in access logs, proxies and browser
// history. The probe sends a canary key, never the profile's own key, so the
// check itself leaks nothing that matters into the target's logs: one it
// creates through the lifecycle adapter (and deletes afterwards) where it
// can, a declared spare canary otherwise. A refusal that quotes the URL it
// was sent (the canary with it) puts the key in the same logs: a finding
// (refusal-echo.ts), as a stack trace in it is.
import { z } from 'zod';
import { CheckError } from '../errors.js';
import { createCanary } from './canary.js';
import { defineCheck, type CheckContext } from './check.js';
import { canaryCreationUnmet, requirement, skipMessage } from './requirements.js';
import { deriveAndJudge } from './reverse-probe.js';
import { judgeEchoes } from './refusal-echo.js';
import { probeResource } from './credentials.js';
import { isSuccess, statusText } from './describe.js';
import { budgetTooSmallToUndo } from './key-probe.js';

/** A query parameter name this check sends (one that needs no encoding). */
const QUERY_NAME = /^[A-Za-z0-9_.-]+$/;

/** A key this check may expose in a URL. */
interface Canary {
  readonly secret: string;
  /** Where it came from, for the message. */
  readonly source: string;
}

/** A contract that carries the key in a header: where the contract itself puts it in the query, there is nothing to refuse. */
const headerContract = requirement((profile) =>
  'query' in profile.target.auth
    ? [
        {
          path: ['target', 'auth', 'query'],
          message: `the contract itself puts the key in the query (target.auth.query: ${profile.target.auth.query}); this check applies only to header contracts`,
        },
      ]
    : [],
);

/**
 * A canary to expose: a declared one, or one the lifecycle adapter can create
 * (the same rule acquireCanary follows, from checks/requirements.ts).
 */
const canaryToExpose = requirement((profile) => {
  if (profile.canary) return [];
  const creation = canaryCreationUnmet(profile);
  if (creation.length === 0) return [];
  return [
    {
      path: ['canary'],
      message: `no canary key: declare one under \`canary:\` (a spare key with the same scopes), or let the lifecycle adapter create one (${skipMessage(creation)}); the profile's own key is never sent in a URL, where it would land in access logs`,
    },
  ];
});

export default defineCheck({
  id: 'auth.key-in-query-rejected',
  title: 'A key sent in the URL query is not accepted',
  description:
    "Sends a canary key (never the profile's own key) as ?api_key=, ?apikey=, ?key=, ?access_token= and under the contract's own header name (e.g. ?x-api-key=) on an allowed resource; where the contract is a header, none may be served, and no refusal may reveal the canary (say, by quoting the URL) or the key in its raw body or any header, nor a stack trace in its body. The canary is created through the lifecycle adapter (and deleted afterwards) where it can create and delete keys, else a declared `canary` is used; it is first shown to work in the header, and the resource to need a key.",
  severity: 'high',
  practice: 'Reverse validation',
  destructive: true,
  keyEffect: 'creates a canary key where it can',
  phase: 'request',
  params: z.strictObject({
    parameters: z
      .array(z.string().regex(QUERY_NAME, 'a query parameter name'))
      .min(1)
      // apikey: the header and query name of Kong's and APISIX's key-auth, which both take a key in the query by default.
      .default(['api_key', 'apikey', 'key', 'access_token'])
      .meta({
        description:
          "Query parameter names to carry the canary key in; each must be refused. The contract's header name (other than Authorization) is always tried too.",
        examples: [['api_key', 'apikey', 'key', 'access_token', 'token']],
      }),
  }),
  requires: [headerContract, canaryToExpose],
  async run(ctx, params) {
    const acquired = await acquireCanary(ctx);
    if ('verdict' in acquired) return acquired;
    // Registered already: a declared canary by the profile loader, a created one by the adapter that made it.
    const canary = acquired;
    const resource = probeResource(ctx.profile);
    const auth = ctx.profile.target.auth as { header: string; scheme: string };
    // A gateway that looks a key up by one name in the header and the query (Kong's key_names) serves it as ?<header name>=.
    const names = [
      ...new Set([...params.parameters, ...(QUERY_NAME.test(auth.header) && !/^authorization$/i.test(auth.header) ? [auth.header] : [])]),
    ];

    // A refused query key proves nothing if the canary is refused anyway.
    const control = await ctx.http.send({
      label: `control: canary in the ${auth.header} header`,
      method: resource.method,
      path: resource.path,
      body: resource.body,
      headers: resource.headers,
      credential: { kind: 'key', secret: canary.secret },
    });
    if (!isSuccess(control))
      throw new CheckError(
        `the canary key (${canary.source}) answered ${statusText(control.status)} in the ${auth.header} header on ${resource.method} ${resource.path}, so a refused query key would prove nothing`,
      );

    // Any answer but a 2xx refuses a key in the query; a 5xx is only worth an advisory (not a clean refusal).
    const probe = await deriveAndJudge(
      ctx,
      names.map((name) => ({
        name: `?${name}=`,
        label: `canary in the query as ?${name}=`,
        resource,
        credential: { kind: 'query', name, value: canary.secret } as const,
        refusal: (status: number) => !isSuccess(status),
        path: ['target', 'auth', 'header'],
      })),
      {
        outage: false,
        problem: (_r, res) => `answered ${statusText(res.status)}`,
        failure: failureLine,
        advise: (r, res) =>
          res.status >= 500 ? `${r.name} answered ${statusText(res.status)} (a server error, not a clean refusal)` : undefined,
        stopAtError: true,
        error: (_r, why) => why,
        echoes: judgeEchoes(ctx),
      },
    );
    if (probe.errors.length > 0) throw new CheckError(probe.errors.join('; '));
    const served = probe.judged.filter((j) => j.answer === 'served').map((j) => failureLine(j.request, j.problems));
    // A refusal that says back the canary (the URL it was sent in, say) or a stack trace: refused, but not cleanly.
    const echoed = probe.judged
      .filter((j) => j.answer !== 'served' && j.problems.length > 0)
      .map((j) => failureLine(j.request, j.problems));
    const advisories = [...probe.advisories];

    if (served.length > 0) {
      // Only a resource that needs a key makes "served" mean "the query key was accepted".
      const bare = await ctx.http.send({
        label: 'control: no credential at all',
        method: resource.method,
        path: resource.path,
        body: resource.body,
        headers: resource.headers,
        credential: { kind: 'none' },
      });
      if (isSuccess(bare))
        throw new CheckError(
          `${resource.method} ${resource.path} is served without any credential (${statusText(bare.status)}), so a key in the query cannot be told apart; see auth.missing-key-rejected`,
        );
    }

    const measurements = { parameters: names.length, served: served.length };
    const expected = `no 2xx for the key in the query on ${resource.method} ${resource.path} (the contract is the ${auth.header} header)`;
    if (served.length > 0)
      return {
        verdict: 'fail',
        message: `expected the key in the URL query to be refused (the contract is the ${auth.header} header), but the canary key was accepted: ${served.join('; ')}`,
        expected,
        observed: served.join('; '),
        advisories,
        measurements,
        findings: probe.findings,
      };
    if (echoed.length > 0)
      return {
        verdict: 'fail',
        message: `the canary key was refused in the URL query, but the refusal said too much: ${echoed.join('; ')}`,
        expected: `${expected}, and refusals that reveal no key and no stack trace`,
        observed: echoed.join('; '),
        advisories,
        measurements,
        findings: probe.findings,
      };
    return {
      verdict: 'pass',
      message: `the canary key (${canary.source}) works in the ${auth.header} header and was refused as ${names.map((n) => `?${n}=`).join(', ')}`,
      expected,
      advisories,
      measurements,
    };
  },
});

/** One request's failure: "?api_key= answered 200 OK", "?key= its body reveals another secret of this run". */
function failureLine(request: { readonly name: string }, problems: readonly string[]): string {
  return `${request.name} ${problems.join('; ')}`;
}

/** A canary created (and deleted by cleanup) where the adapter can; the declared one otherwise; or the outcome to give instead. */
async function acquireCanary(ctx: CheckContext): Promise<Canary | { verdict: 'skip' | 'error'; message: string }> {
  const adapter = ctx.lifecycle;
  if (adapter && canaryCreationUnmet(ctx.profile).length === 0) {
    const tooSmall = budgetTooSmallToUndo(ctx);
    if (tooSmall) return { verdict: 'error', message: tooSmall.message };
    const created = await createCanary({ profile: ctx.profile, adapter, cleanup: ctx.cleanup });
    if (!created.ok) return { verdict: created.verdict, message: created.reason };
    return { secret: created.key.secret, source: `created canary ${created.key.ref.name}` };
  }
  // canaryToExpose: without an adapter that can create one, a canary is declared.
  const declared = ctx.profile.canary!;
  if (declared.secret === ctx.profile.key.secret)
    throw new CheckError("the declared canary is the profile's own key; it is never sent in a URL");
  return { secret: declared.secret, source: declared.name ? `declared canary ${declared.name}` : 'declared canary' };
}
