// Command output may carry credentials keyprobe was never told about: a
// `curl -v` in a lifecycle script prints `> Authorization: Bearer <admin
// token>`, a retry loop logs `token=…&password=…`, a client dumps
// `Set-Cookie`. Before such output is kept as evidence, these values are
// scrubbed, and returned so the adapter can register them as secrets (so
// they are redacted wherever else they show up, and the leak scan looks for them).
import { couldBeCredential, isCredentialName } from './answer-secrets.js';

export const SCRUBBED = '[scrubbed]';

/** `Authorization: …`, `> Cookie: …`, `X-Admin-Token: …`: the rest of the line (or quoted string) is the credential. */
const HEADER_LINE = /\b([A-Za-z][A-Za-z0-9-]*)(\s*:[ \t]*)([^\r\n'"]+)/g;
/** Header names that carry credentials without a credential word in them. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key']);
/** `token=…`, `api_key=…`, `password=…` in a query string, form body or log line. */
const ASSIGNMENT = /\b([A-Za-z][A-Za-z0-9_.-]*)=([^\s&;"',]+)/g;
/** `"password": "…"` in JSON-ish text. */
const JSON_PAIR = /"([^"\\]{1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

export interface Scrubbed {
  readonly text: string;
  /** The credential values removed, to register as secrets. */
  readonly removed: readonly string[];
}

export function scrubCredentials(text: string): Scrubbed {
  const removed = new Set<string>();
  const take = (value: string) => {
    const v = value.trim();
    // "Bearer abc…" and "session=abc…; Path=/": the credential itself, too.
    const cookie = /^[^=;\s]+=([^;\s]+)/.exec(v);
    for (const candidate of [v, v.split(/\s+/).pop()!, cookie?.[1] ?? '']) if (couldBeCredential(candidate)) removed.add(candidate);
  };
  let out = text.replace(JSON_PAIR, (whole, name: string, sep: string, value: string) => {
    if (!isCredentialName(name)) return whole;
    take(value);
    return `"${name}"${sep}"${SCRUBBED}"`;
  });
  out = out.replace(HEADER_LINE, (whole, name: string, sep: string, value: string) => {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase()) && !isCredentialName(name)) return whole;
    take(value);
    return `${name}${sep}${SCRUBBED}`;
  });
  out = out.replace(ASSIGNMENT, (whole, name: string, value: string) => {
    if (!isCredentialName(name)) return whole;
    take(value);
    return `${name}=${SCRUBBED}`;
  });
  return { text: out, removed: [...removed] };
}
