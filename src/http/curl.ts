// A curl line a reviewer can paste to reproduce a request: the profile's key
// shows as $KEY (as is, URL-encoded or form-encoded, as a query carries it),
// every other secret as its fingerprint, and a credential-like header that
// holds neither is withheld.
import { isCredentialHeader, maskCredential } from './credential-headers.js';

export interface CurlInput {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly primaryKey: string;
  readonly redact: (text: string) => string;
}

export function curlLine(input: CurlInput): string {
  // Longest first, so a form that contains another is replaced whole.
  const keyForms = [
    ...new Set([input.primaryKey, encodeURIComponent(input.primaryKey), new URLSearchParams({ k: input.primaryKey }).toString().slice(2)]),
  ].sort((a, b) => b.length - a.length);
  const keyed = (s: string) => input.redact(keyForms.reduce((text, form) => text.split(form).join('$KEY'), s));
  const parts = ['curl', '-sS', '-i'];
  if (input.method !== 'GET') parts.push('-X', input.method);
  parts.push(quote(keyed(input.url)));
  for (const [k, v] of Object.entries(input.headers)) {
    if (k === 'user-agent' || k === 'accept' || k === 'connection') continue;
    const shown = keyed(v);
    parts.push('-H', quote(`${k}: ${isCredentialHeader(k) && !shown.includes('$KEY') ? maskCredential(v, input.redact) : shown}`));
  }
  if (input.body !== undefined) parts.push('--data', quote(keyed(input.body)));
  return parts.join(' ');
}

/** Double quotes, so $KEY expands in a shell; everything else that a shell would expand is escaped. */
function quote(s: string): string {
  return `"${s.replace(/(["\\`])/g, '\\$1').replace(/\$(?!KEY\b)/g, '\\$')}"`;
}
