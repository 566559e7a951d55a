// Authentication of API requests: where the credential comes from, which key
// it opens, and whether that key may be used right now (environment,
// rotation, disable, expiry). The auth faults bend exactly these decisions.

import type { IncomingMessage } from 'node:http';
import type { ActiveBehaviours } from './behaviours.js';
import type { ActiveFaults } from './faults.js';
import { parseAuthorization, type AuthorizationHeader } from './http-util.js';
import type { KeyMatch, KeyStore, MatchMode, StoredKey } from './keys.js';
import { refusedFrom, type RevocationContext } from './revocation.js';

export const REALM = 'keyprobe-reference';

/** What a key looks like; server-error-on-bad-key crashes on anything else. */
const KEY_SHAPE = /^kp_[a-z]+_[A-Za-z0-9]+$/i;

/** Simulated gateway nodes for revocation-flap. */
const FLAP_NODES = 10;

export type Principal =
  | { readonly kind: 'key'; readonly key: StoredKey; readonly presented: string }
  /** Only under anonymous-access: no credential, yet served with every scope. */
  | { readonly kind: 'anonymous' };

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly status: 401;
      readonly code: 'missing_key' | 'invalid_key' | 'wrong_environment' | 'rotated' | 'disabled' | 'expired';
      readonly message: string;
      /** The key the credential belonged to, for the request counters. */
      readonly keyId?: string;
      /** The credential, as presented: what the refusal-echo and *-key-echo faults quote back. */
      readonly presented?: string;
    }
  /** server-error-on-bad-key: the credential parser "crashed". */
  | { readonly ok: false; readonly status: 500 };

export interface AuthContext extends RevocationContext {
  readonly environment: string;
  readonly keys: KeyStore;
  readonly faults: ActiveFaults;
  readonly behaviours: ActiveBehaviours;
}

type Rejection = Extract<AuthOutcome, { status: 401 }>;

function reject(code: Rejection['code'], message: string, keyId?: string, presented?: string): Rejection {
  return {
    ok: false,
    status: 401,
    code,
    message,
    ...(keyId === undefined ? {} : { keyId }),
    ...(presented === undefined ? {} : { presented }),
  };
}

/** The credential a request presents: the Authorization header, or (under query-key-accepted) ?api_key=. */
function presentedCredential(req: IncomingMessage, url: URL, faults: ActiveFaults): AuthorizationHeader {
  const header = parseAuthorization(req);
  if (header.kind !== 'absent') return header;
  const queryKey = url.searchParams.get('api_key');
  if (queryKey !== null && faults.has('query-key-accepted')) return { kind: 'bearer', token: queryKey };
  return header;
}

export function authenticate(req: IncomingMessage, url: URL, ctx: AuthContext, now = Date.now()): AuthOutcome {
  const { faults } = ctx;
  const credential = presentedCredential(req, url, faults);

  if (credential.kind === 'absent') {
    if (faults.has('anonymous-access')) return { ok: true, principal: { kind: 'anonymous' } };
    return reject('missing_key', 'An API key is required: send it as "Authorization: Bearer <key>".');
  }

  const token = credential.kind === 'bearer' ? credential.token : undefined;
  if (faults.has('server-error-on-bad-key') && (token === undefined || !KEY_SHAPE.test(token))) {
    return { ok: false, status: 500 };
  }
  if (token === undefined) return reject('invalid_key', 'Unsupported authorization scheme: send "Authorization: Bearer <key>".');
  if (token === '') return reject('invalid_key', 'The API key is empty.');

  const mode = matchMode(faults);
  // A deleted key is unknown, unless the data plane has not heard of the delete yet.
  const found = ctx.keys.match(token, mode) ?? stillServedAfterDelete(ctx.keys.matchDeleted(token, mode), ctx, now);
  if (!found) return { ...reject('invalid_key', 'The API key is not valid.'), presented: token };
  const refusal = refusalFor(found, token, ctx, now);
  if (refusal) return refusal;

  found.key.lastUsedAt = now;
  return { ok: true, principal: { kind: 'key', key: found.key, presented: token } };
}

function matchMode(faults: ActiveFaults): MatchMode {
  const prefixLength = faults.get('prefix-match');
  const caseInsensitive = faults.has('case-insensitive-keys');
  return prefixLength === undefined ? { caseInsensitive } : { prefixLength, caseInsensitive };
}

/** Why a matched key may not be used now, or undefined when it may. */
function refusalFor({ key, credential }: KeyMatch, presented: string, ctx: AuthContext, now: number): Rejection | undefined {
  const { environment, faults, behaviours } = ctx;
  // keys-select-environment: one origin serves every environment, so a foreign key is let in (routes.ts serves it its own data).
  if (key.environment !== environment && !faults.has('cross-environment') && !behaviours.has('keys-select-environment')) {
    return reject(
      'wrong_environment',
      `This target serves the "${environment}" environment; the key belongs to another one.`,
      key.id,
      presented,
    );
  }
  if (credential.graceUntil !== undefined && now >= credential.graceUntil && !faults.has('rotation-no-expiry')) {
    return reject('rotated', 'The API key was rotated and its grace period has ended.', key.id, presented);
  }
  if (!key.enabled && !revocationStillPending(key, key.disabledAt ?? 0, 'disable', ctx, now)) {
    return reject('disabled', 'The API key is disabled.', key.id, presented);
  }
  if (key.expiresAt !== null && now >= refusedFrom(key.expiresAt, 'expiry', ctx) && !faults.has('accept-expired')) {
    return reject('expired', 'The API key has expired.', key.id, presented);
  }
  return undefined;
}

/** A deleted key's match, while the delete has not reached the node serving this request. */
function stillServedAfterDelete(found: KeyMatch | undefined, ctx: AuthContext, now: number): KeyMatch | undefined {
  if (found?.deletedAt === undefined) return undefined;
  return revocationStillPending(found.key, found.deletedAt, 'delete', ctx, now) ? found : undefined;
}

/**
 * A disabled or deleted key is still let through while the revocation has
 * not "reached" the node serving this request (revocation-delay,
 * revocation-cache, revocation-flap).
 */
function revocationStillPending(key: StoredKey, at: number, kind: 'disable' | 'delete', ctx: AuthContext, now: number): boolean {
  if (now < refusedFrom(at, kind, ctx)) return true;
  const ratio = ctx.faults.get('revocation-flap');
  if (ratio === undefined) return false;
  // Requests go round-robin over FLAP_NODES nodes; `stale` of them never saw
  // the revocation. Spreading the stale ones evenly (node 3, 6, 9 for 0.3)
  // keeps the first request after it refused, then flaps, as Kong did.
  const node = key.requestsSinceDisable++ % FLAP_NODES;
  const stale = Math.round(ratio * FLAP_NODES);
  return Math.floor(((node + 1) * stale) / FLAP_NODES) > Math.floor((node * stale) / FLAP_NODES);
}
