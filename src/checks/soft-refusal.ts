// A "soft refusal": a 2xx whose body says the request was refused. Slack
// answers a key without the scope `200 {"ok":false,"error":"missing_scope"}`;
// GraphQL servers answer `200 {"data":null,"errors":[…]}`; some gateways wrap
// a 401 in a 200 `{"error":"invalid api key"}`. Judged on the status alone,
// such an answer proves a key works where it does not.
//
// Only unmistakable shapes count, so a resource that merely mentions an error
// is still served: a JSON object with `ok: false` or `success: false`; with a
// non-empty `errors` list and no `data`; or with a truthy `error` and nothing
// but the fields an error carries (message, code, status, request id…). A
// body that is cut off, not JSON, or a list is never one.

import { isSuccess } from './describe.js';

/** The fields an error answer carries besides `error` itself. */
const ERROR_FIELDS = new Set([
  'error',
  'error_description',
  'error_code',
  'errorcode',
  'error_uri',
  'message',
  'code',
  'status',
  'statuscode',
  'status_code',
  'detail',
  'title',
  'type',
  'instance',
  'request_id',
  'requestid',
  'trace_id',
  'traceid',
  'documentation_url',
  'more_info',
  'hint',
]);

/**
 * Why an answer with a success (2xx) status reads as a refusal, quoting the
 * fields that say so (`"ok": false, "error": "missing_scope"`), or undefined.
 * Any other status is judged by the status itself, so its body is not read.
 */
export function softRefusal(answer: { readonly status: number; readonly body: string }): string | undefined {
  return isSuccess(answer.status) ? refusalIn(answer.body) : undefined;
}

/** Why a body reads as a refusal (see the top of this file), or undefined. */
function refusalIn(body: string): string | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  const withError = (said: string) => (typeof o.error === 'string' && o.error !== '' ? `${said}, "error": ${quote(o.error)}` : said);
  if (o.ok === false) return withError('"ok": false');
  if (o.success === false) return withError('"success": false');
  if (Array.isArray(o.errors) && o.errors.length > 0 && (o.data === undefined || o.data === null)) {
    const first = o.errors[0] as { message?: unknown } | undefined;
    return `"errors" and no "data"${typeof first?.message === 'string' ? ` ("message": ${quote(first.message)})` : ''}`;
  }
  const hasError = (typeof o.error === 'string' && o.error !== '') || (typeof o.error === 'object' && o.error !== null);
  if (hasError && Object.keys(o).every((k) => ERROR_FIELDS.has(k.toLowerCase())))
    return typeof o.error === 'string' ? `"error": ${quote(o.error)}` : '"error" and nothing else';
  return undefined;
}

/** A short quote of a value a server wrote (the caller redacts it). */
function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
