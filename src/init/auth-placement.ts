// Where the key travels, as an OpenAPI document's security schemes say: the
// scheme the most operations accept becomes the profile's target.auth, and
// anything a person should know about that choice becomes a note. A key
// declared in the query is pointed out, and so is a query scheme beside the
// chosen header one: keyprobe expects a key in a URL to be refused.
import type { OpenApiDocument } from './openapi.js';

export type AuthPlacement = { readonly header: string; readonly scheme: string } | { readonly query: string };

export const DEFAULT_AUTH: AuthPlacement = { header: 'Authorization', scheme: 'Bearer' };

/** Headers a key can never travel in: the connection's own and Host. */
export const HOP_BY_HOP_OR_HOST: readonly string[] = [
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
];

export interface AuthProposal {
  readonly auth: AuthPlacement;
  /** The scheme it came from, for the profile's comment. */
  readonly from?: string;
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One scheme as keyprobe would send a key for it, or why it cannot. */
function placementOf(name: string, scheme: Json): AuthPlacement | { readonly unsupported: string } {
  const type = String(scheme.type ?? '');
  if (type === 'apiKey') {
    const field = typeof scheme.name === 'string' ? scheme.name : '';
    // An API key "in the Authorization header" says nothing of a scheme; Bearer is the common one
    // (Directus declares its tokens so, and refuses them bare). proposeAuth says so in a note.
    if (scheme.in === 'header' && field.toLowerCase() === 'authorization') return { header: field, scheme: 'Bearer' };
    if (scheme.in === 'header' && field) return { header: field, scheme: '' };
    if (scheme.in === 'query' && field) return { query: field };
    return { unsupported: `${name} sends the key ${scheme.in === 'cookie' ? 'in a cookie' : 'in no place keyprobe knows'}` };
  }
  if (type === 'http') {
    const s = String(scheme.scheme ?? '').toLowerCase();
    if (s === 'bearer') return { header: 'Authorization', scheme: 'Bearer' };
    return { unsupported: `${name} is HTTP "${scheme.scheme}" authentication, not a key keyprobe can send as is` };
  }
  // OAuth 2 and OpenID Connect tokens travel as bearer tokens.
  if (type === 'oauth2' || type === 'openIdConnect') return { header: 'Authorization', scheme: 'Bearer' };
  return { unsupported: `${name} is of type "${type}"` };
}

export function describeAuth(auth: AuthPlacement): string {
  if ('query' in auth) return `the URL query as ?${auth.query}=<key>`;
  return auth.scheme ? `the ${auth.header} header as "${auth.scheme} <key>"` : `the ${auth.header} header, bare (no scheme)`;
}

/**
 * The placement the most operations accept (their security requirements
 * name the scheme), among the schemes keyprobe can send.
 */
export function proposeAuth(api: OpenApiDocument): AuthProposal | undefined {
  const { doc } = api;
  const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  const usable = new Map<string, AuthPlacement>();
  const notes: string[] = [];
  for (const [name, raw] of Object.entries(schemes)) {
    if (!isObject(raw)) continue;
    const p = placementOf(name, raw);
    if ('unsupported' in p) notes.push(`the document's security scheme ${p.unsupported}; it was not used`);
    else usable.set(name, p);
  }
  if (usable.size === 0)
    return notes.length > 0
      ? {
          auth: DEFAULT_AUTH,
          notes: [...notes, 'the profile sends the key as "Authorization: Bearer <key>"; change it with --auth-header'],
        }
      : undefined;

  const uses = new Map<string, number>();
  const count = (security: unknown) => {
    if (!Array.isArray(security)) return;
    for (const requirement of security)
      if (isObject(requirement)) for (const name of Object.keys(requirement)) uses.set(name, (uses.get(name) ?? 0) + 1);
  };
  count(doc.security);
  for (const item of Object.values(isObject(doc.paths) ? doc.paths : {}))
    if (isObject(item)) for (const op of Object.values(item)) if (isObject(op)) count(op.security);
  // Most used first; on a tie, a key scheme before OAuth (same header, but the comment names it), and a
  // header before the query (a key in a URL lands in logs); then document order.
  const rank = (name: string, p: AuthPlacement) => ('query' in p ? 2 : oauthLike.has(name) ? 1 : 0);
  const oauthLike = new Set(
    Object.entries(schemes)
      .filter(([, s]) => isObject(s) && (s.type === 'oauth2' || s.type === 'openIdConnect'))
      .map(([n]) => n),
  );
  const ranked = [...usable.entries()].sort(([a, pa], [b, pb]) => (uses.get(b) ?? 0) - (uses.get(a) ?? 0) || rank(a, pa) - rank(b, pb));
  const [from, auth] = ranked[0]!;
  const chosen = schemes[from];
  if (isObject(chosen) && chosen.type === 'apiKey' && 'header' in auth && auth.header.toLowerCase() === 'authorization')
    notes.push(
      `the document's ${from} puts the key in the ${auth.header} header without saying how; the profile sends "Bearer <key>". If the platform wants the bare key, use --auth-scheme ""`,
    );
  if ('query' in auth) {
    notes.push(
      `the document declares the key in the URL query (${from}: ?${auth.query}=), so the profile sends it there; keys in URLs end up in access logs, and auth.key-in-query-rejected is skipped for a query contract. If the platform also takes the key in a header, prefer that (--auth-header).`,
    );
  } else {
    for (const [name, p] of usable)
      if ('query' in p)
        notes.push(
          `the document also accepts the key in the URL query (${name}: ?${p.query}=); keyprobe's auth.key-in-query-rejected expects a key in a URL to be refused, so it will fail where the platform accepts one: keys in URLs end up in access logs.`,
        );
  }
  return { auth, from, notes };
}
