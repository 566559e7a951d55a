// A 5xx is the target failing, not the target judging a key. A check that
// meets one cannot tell "refused" from "broken" on that answer alone, so
// reverse checks ask once more with the valid key: if that fails with a 5xx
// too, the target is down (the verdict is `error`); if it succeeds, the 5xx
// was the answer to the bad credential (a real defect, `fail`).
import { CheckError } from '../errors.js';
import type { CheckContext } from './check.js';
import { statusText } from './describe.js';

export function isServerError(status: number): boolean {
  return status >= 500 && status <= 599;
}

/** Why an answer with a server error says nothing about the key, in words for the verdict. */
export function serverErrorWords(method: string, path: string, status: number): string {
  return `${method} ${path} answered ${statusText(status)}: a server error, so the target could not be judged on this request`;
}

interface Resource {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Sends the same request once with the profile's valid key. Returns words for
 * an `error` when that fails too (the target is failing for everyone), or
 * undefined when the valid key is served (so the 5xx was about the credential).
 */
export async function targetFailsForValidKeyToo(ctx: CheckContext, r: Resource, statusWithout: number): Promise<string | undefined> {
  try {
    const control = await ctx.http.send({
      label: `control, valid key: ${r.method} ${r.path}`,
      method: r.method,
      path: r.path,
      body: r.body,
      headers: r.headers,
    });
    if (!isServerError(control.status)) return undefined;
    return `${r.method} ${r.path} answered ${statusText(statusWithout)}, and ${statusText(control.status)} with the valid key too: the target is failing, so a refusal could not be told from an outage`;
  } catch (err) {
    if (!(err instanceof CheckError)) throw err;
    return `${r.method} ${r.path} answered ${statusText(statusWithout)}, and the control request with the valid key failed too (${err.message})`;
  }
}
