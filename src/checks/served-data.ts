// A refusal that carries the data it refuses ("execution after redirect"):
// some servers decide "no" after the handler has already written the
// resource, and answer 401/403 *with the full body*. The status is right, the
// data is out. The reverse checks on allowed resources (no key, bad keys,
// near misses) compare each refusal's body with what the valid key is served
// on the same resource:
//
// - the valid key's body, trimmed, must be at least MIN_DATA_CHARS long: a
//   short body (`{}`, `"ok"`, `{"agents":[]}`) is as likely a generic answer
//   as data, so it never fires;
// - the refusal's raw body fails when it contains that body (equal to it, or
//   wrapped in an error envelope).
// The valid key's answer is taken from what the key was served earlier in the
// profile's run (a plain GET: HttpClient.servedToKey), or from a control the
// check sent anyway; else it is asked for only when a refusal's body is long
// enough to hold such data, once per resource per check, and only with a safe
// method (GET, HEAD: a POST would repeat its action). A body with per-request values (a
// timestamp, a request id) is not caught: no false alarm, a known gap.
import { CheckError } from '../errors.js';
import type { HttpResponse } from '../http/client.js';
import type { CheckContext } from './check.js';
import { isSuccess, statusText } from './describe.js';

/** Fewest characters (trimmed) a served body needs before it counts as data. */
export const MIN_DATA_CHARS = 16;
const SAFE_METHODS = new Set(['GET', 'HEAD']);

interface Resource {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Words for a refusal that holds the valid key's data, or undefined. */
export type DataInRefusal = (resource: Resource, refusal: HttpResponse) => Promise<string | undefined>;

/**
 * Judges refusals against the valid key's body on the same resource. `known`:
 * a response to the valid key the check already has (no request is sent for
 * its resource).
 */
export function dataInRefusal(ctx: CheckContext, known?: { resource: Resource; response: HttpResponse }): DataInRefusal {
  const served = new Map<string, Promise<HttpResponse | undefined>>();
  if (known) served.set(keyOf(known.resource), Promise.resolve(known.response));
  return async (resource, refusal) => {
    if (refusal.body.trim().length < MIN_DATA_CHARS) return undefined;
    const key = keyOf(resource);
    let control = served.get(key);
    // What the valid key was served on it earlier in this profile's run (auth.valid-key-accepted fetches every allowed GET).
    const earlier =
      !resource.body && !resource.headers && resource.method.toUpperCase() === 'GET' ? ctx.http.servedToKey(resource.path) : undefined;
    if (!control && earlier) {
      control = Promise.resolve(earlier);
      served.set(key, control);
    }
    if (!control) {
      // Only a safe method is sent again with the valid key: a POST would repeat its action (an agent call).
      if (!SAFE_METHODS.has(resource.method.toUpperCase())) return undefined;
      control = validKeyAnswer(ctx, resource);
      served.set(key, control);
    }
    const res = await control;
    if (!res || !holdsServedData(refusal.body, res)) return undefined;
    return `its body holds the resource's data: it contains the ${res.body.trim().length}-character body the valid key is served (${statusText(res.status)})`;
  };
}

/** The refusal's raw body contains the valid key's (non-trivial) 2xx body. */
export function holdsServedData(refusalBody: string, served: HttpResponse): boolean {
  if (!isSuccess(served)) return false;
  const data = served.body.trim();
  return data.length >= MIN_DATA_CHARS && refusalBody.includes(data);
}

async function validKeyAnswer(ctx: CheckContext, r: Resource): Promise<HttpResponse | undefined> {
  try {
    return await ctx.http.send({
      label: `control, valid key (to compare refusal bodies): ${r.method} ${r.path}`,
      method: r.method,
      path: r.path,
      body: r.body,
      headers: r.headers,
    });
  } catch (err) {
    // Throttled, timed out, budget spent: nothing to compare with, and the refusal stands as judged.
    if (!(err instanceof CheckError)) throw err;
    return undefined;
  }
}

function keyOf(r: Resource): string {
  return `${r.method} ${r.path}`;
}
