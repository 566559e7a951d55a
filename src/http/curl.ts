// A curl line a reviewer can paste to reproduce a request, and that really
// reproduces it: the profile's key is ${KEY}, a value derived from it is the
// shell expression that derives it (`${KEY}x`, `${KEY%?}`), every other secret
// a variable named after it (`${CANARY_1a2b3c4d}`), set by whoever runs it.
import type { ShellPiece } from '../secrets.js';

export interface CurlInput {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly primaryKey: string;
  readonly redact: (text: string) => string;
  /** Splits text into literal parts and the shell expressions that stand for secrets (SecretRegistry.shellPieces). */
  readonly shellPieces?: (text: string, primaryKey: string) => ShellPiece[];
}

export function curlLine(input: CurlInput): string {
  const pieces = (s: string): ShellPiece[] =>
    input.shellPieces
      ? input.shellPieces(s, input.primaryKey)
      : s.split(input.primaryKey).flatMap((part, i) => [...(i > 0 ? [{ expr: '${KEY}' }] : []), { literal: input.redact(part) }]);
  const parts = ['curl', '-sS', '-i'];
  if (input.method !== 'GET') parts.push('-X', input.method);
  parts.push(quote(pieces(input.url)));
  for (const [k, v] of Object.entries(input.headers)) {
    if (k === 'user-agent' || k === 'accept' || k === 'connection') continue;
    parts.push('-H', quote([{ literal: `${k}: ` }, ...pieces(v)]));
  }
  if (input.body !== undefined) parts.push('--data', quote(pieces(input.body)));
  return parts.join(' ');
}

/** Double quotes: the secrets' expressions expand in a shell; in the literal parts everything a shell would expand is escaped. */
function quote(pieces: readonly ShellPiece[]): string {
  return `"${pieces.map((p) => ('expr' in p ? p.expr : p.literal.replace(/(["\\`$])/g, '\\$1'))).join('')}"`;
}
