// A curl line a reviewer can paste to reproduce a request, and that really
// reproduces it: the profile's key is ${KEY}, a value derived from it is the
// shell expression that derives it (`${KEY}x`, `${KEY%?}`), every other secret
// a variable named after it (`${CANARY_1a2b3c4d}`), set by whoever runs it. A
// secret in the query that URL encoding changes is handed to curl to encode
// (--url-query), and a credential-like header that holds no known secret is
// withheld.
import type { ShellPiece } from '../secrets.js';
import { isCredentialHeader, maskCredential } from './credential-headers.js';

export interface CurlInput {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly primaryKey: string;
  readonly redact: (text: string) => string;
  /** Splits text into literal parts and the shell expressions that stand for secrets (SecretRegistry.shellPieces). */
  readonly shellPieces?: (text: string, primaryKey: string) => readonly ShellPiece[];
}

export function curlLine(input: CurlInput): string {
  const pieces = (s: string): readonly ShellPiece[] =>
    input.shellPieces
      ? input.shellPieces(s, input.primaryKey)
      : s.split(input.primaryKey).flatMap((part, i) => [...(i > 0 ? [{ expr: '${KEY}' }] : []), { literal: input.redact(part) }]);
  const { url, moved } = secretQueryParams(input.url, pieces);
  const parts = ['curl', '-sS', '-i'];
  if (input.method !== 'GET') parts.push('-X', input.method);
  parts.push(quote(pieces(url)));
  for (const { name, value } of moved) parts.push('--url-query', quote([{ literal: `${name}=` }, ...value]));
  for (const [k, v] of Object.entries(input.headers)) {
    if (k === 'user-agent' || k === 'accept' || k === 'connection') continue;
    const shown = pieces(v);
    const known = shown.some((p) => 'expr' in p);
    parts.push(
      '-H',
      quote([{ literal: `${k}: ` }, ...(isCredentialHeader(k) && !known ? [{ literal: maskCredential(v, input.redact) }] : shown)]),
    );
  }
  if (input.body !== undefined) parts.push('--data', quote(pieces(input.body)));
  return parts.join(' ');
}

/**
 * Query parameters whose value holds a secret that URL encoding changes (a
 * space, + / = ~ ! ' ( ) *): an expression in the URL would expand to it
 * unencoded, so they leave the URL and go to curl's --url-query (curl 7.87 or
 * later), which encodes them as a query carries them. They end up last in the
 * query; a server reads them the same.
 */
function secretQueryParams(
  url: string,
  pieces: (s: string) => readonly ShellPiece[],
): { url: string; moved: { name: string; value: readonly ShellPiece[] }[] } {
  // Most requests have no query: nothing to move, and no URL to parse.
  if (!url.includes('?')) return { url, moved: [] };
  const u = new URL(url);
  const moved: { name: string; value: readonly ShellPiece[] }[] = [];
  for (const name of new Set(u.searchParams.keys())) {
    const values = u.searchParams.getAll(name);
    if (values.length !== 1) continue;
    const value = values[0]!;
    if (new URLSearchParams({ k: value }).toString() === `k=${value}`) continue;
    const shown = pieces(value);
    if (!shown.some((p) => 'expr' in p)) continue;
    u.searchParams.delete(name);
    moved.push({ name, value: shown });
  }
  return { url: moved.length > 0 ? u.toString() : url, moved };
}

/** Double quotes: the secrets' expressions expand in a shell; in the literal parts everything a shell would expand is escaped. */
function quote(pieces: readonly ShellPiece[]): string {
  return `"${pieces.map((p) => ('expr' in p ? p.expr : p.literal.replace(/(["\\`$])/g, '\\$1'))).join('')}"`;
}
