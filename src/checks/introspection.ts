// Reads what the platform itself says about the key (target.introspection,
// e.g. GET /v1/keys/self): scopes, environment, name, owner, dates. Checks use
// it to compare the declaration with the platform's truth.
import type { HttpClient } from '../http/client.js';
import type { Profile } from '../config/profile-schema.js';
import { statusText } from './describe.js';

export interface Introspected {
  readonly path: string;
  readonly scopes?: readonly string[];
  readonly environment?: string;
  readonly name?: string;
  readonly owner?: string;
  readonly createdAt?: string;
  readonly expiresAt?: string;
}

export type IntrospectionResult =
  | { readonly ok: true; readonly data: Introspected }
  /** The endpoint answered, but not with a usable JSON object; `why` says what came back. */
  | { readonly ok: false; readonly path: string; readonly why: string };

/**
 * Asks the introspection endpoint about the key, or returns undefined when the
 * profile declares none. A network failure throws CheckError (from the client).
 */
export async function introspect(http: HttpClient, profile: Profile): Promise<IntrospectionResult | undefined> {
  const spec = profile.target.introspection;
  if (!spec) return undefined;
  const res = await http.send({ label: `introspection: GET ${spec.path}`, method: 'GET', path: spec.path });
  if (res.status < 200 || res.status >= 300)
    return { ok: false, path: spec.path, why: `GET ${spec.path} answered ${statusText(res.status)}` };
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return { ok: false, path: spec.path, why: `GET ${spec.path} did not answer JSON` };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, path: spec.path, why: `GET ${spec.path} did not answer a JSON object` };
  const scopes = scopeList(field(body, spec.scopesField));
  return {
    ok: true,
    data: {
      path: spec.path,
      ...(scopes ? { scopes } : {}),
      ...text('environment', field(body, spec.environmentField)),
      ...text('name', field(body, spec.nameField)),
      ...text('owner', first(body, ['owner', 'owner_email', 'ownerEmail'])),
      ...text('createdAt', first(body, ['createdAt', 'created_at', 'created'])),
      ...text('expiresAt', first(body, ['expiresAt', 'expires_at', 'expires', 'expiry'])),
    },
  };
}

/** Scopes as a list of strings, or as one space-separated string (OAuth 2.0 token introspection, RFC 7662 §2.2). */
function scopeList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return v.split(/\s+/).filter((s) => s !== '');
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined;
}

/** A dotted path into a JSON object, e.g. `data.scopes`. */
export function field(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function first(obj: object, names: readonly string[]): unknown {
  for (const n of names) {
    const v = (obj as Record<string, unknown>)[n];
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

function text<K extends string>(name: K, v: unknown): Partial<Record<K, string>> {
  return typeof v === 'string' && v !== '' ? ({ [name]: v } as Record<K, string>) : {};
}
