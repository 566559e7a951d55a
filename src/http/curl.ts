// A curl line a reviewer can paste to reproduce a request: the profile's key
// shows as $KEY, every other secret as its fingerprint.

export interface CurlInput {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly primaryKey: string;
  readonly redact: (text: string) => string;
}

export function curlLine(input: CurlInput): string {
  const keyed = (s: string) =>
    input.redact(s.split(input.primaryKey).join('$KEY').split(encodeURIComponent(input.primaryKey)).join('$KEY'));
  const parts = ['curl', '-sS', '-i'];
  if (input.method !== 'GET') parts.push('-X', input.method);
  parts.push(quote(keyed(input.url)));
  for (const [k, v] of Object.entries(input.headers)) {
    if (k === 'user-agent' || k === 'accept' || k === 'connection') continue;
    parts.push('-H', quote(`${k}: ${keyed(v)}`));
  }
  if (input.body !== undefined) parts.push('--data', quote(keyed(input.body)));
  return parts.join(' ');
}

/** Double quotes, so $KEY expands in a shell; everything else that a shell would expand is escaped. */
function quote(s: string): string {
  return `"${s.replace(/(["\\`])/g, '\\$1').replace(/\$(?!KEY\b)/g, '\\$')}"`;
}
