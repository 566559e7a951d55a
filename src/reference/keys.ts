// The key store: creates keys, finds the key behind a presented secret, and
// keeps each key's lifecycle (disable/enable, rotation with grace, expiry,
// delete). Only sha256 digests of secrets are used to authenticate; see
// `plaintextForFaults` for the one, fault-only exception.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isPlainObject } from './http-util.js';

export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** What a caller may ask for when creating a key (POST /admin/keys). */
export interface CreateKeyInput {
  name: string;
  environment?: string;
  scopes: string[];
  owner?: string;
  /** Seconds from now; fractions allowed (short-lived test keys). */
  expiresInSeconds?: number;
  /** ISO 8601; may lie in the past, to make an already-expired key. */
  expiresAt?: string;
  rateLimit?: RateLimitPolicy;
}

/** A key as the outside world sees it: never its secret nor its hash. */
export interface KeyView {
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly scopes: readonly string[];
  readonly owner: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly enabled: boolean;
  readonly rateLimit: RateLimitPolicy | null;
}

export interface CreatedKey extends KeyView {
  readonly secret: string;
}

export interface RotatedKey extends KeyView {
  readonly secret: string;
  /** Until when the previous secret is still accepted (ISO 8601). */
  readonly previousSecretValidUntil: string;
}

/** One secret that opens a key: the current one, or a rotated-out one. */
export interface Credential {
  readonly hash: Buffer;
  /** Set when the secret is rotated out: epoch ms when its grace period ends. */
  graceUntil?: number;
}

export interface StoredKey {
  readonly id: string;
  readonly name: string;
  readonly environment: string;
  readonly scopes: readonly string[];
  readonly owner: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly rateLimit: RateLimitPolicy | null;
  lastUsedAt: number | null;
  enabled: boolean;
  /** Epoch ms of the last disable; revocation faults measure from here. */
  disabledAt: number | null;
  /** Requests seen since the last disable or delete; picks the simulated node for revocation-flap. */
  requestsSinceDisable: number;
  current: Credential;
  /** Rotated-out secrets, newest first. */
  previous: Credential[];
}

/** How presented secrets are compared; anything but the default is a fault. */
export interface MatchMode {
  /** prefix-match: compare only this many leading characters. */
  readonly prefixLength?: number;
  /** case-insensitive-keys. */
  readonly caseInsensitive?: boolean;
}

export interface KeyMatch {
  readonly key: StoredKey;
  readonly credential: Credential;
  /** Set when the key was deleted (epoch ms): the data plane may not have heard yet (revocation.ts). */
  readonly deletedAt?: number;
}

/** A disable or delete, as the management API saw it; tests compare keyprobe's measured lag with it. */
export interface RevocationEvent {
  readonly id: string;
  readonly name: string;
  readonly action: 'disable' | 'delete';
  /** Epoch ms. */
  readonly at: number;
}

/** CreateKeyInput after validation, with defaults filled in and expiry in epoch ms. */
export interface NewKeyFields {
  readonly name: string;
  readonly environment: string;
  readonly scopes: string[];
  readonly owner: string | null;
  readonly expiresAt: number | null;
  readonly rateLimit: RateLimitPolicy | null;
}

/** Input that cannot make a key; the message names the field. */
export class KeyInputError extends Error {
  override readonly name = 'KeyInputError';
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_RANDOM_CHARS = 32;
export const ENVIRONMENT_PATTERN = /^[a-z]+$/;

/**
 * The plaintext of every credential, held only in this module's memory and
 * never serialised, returned or logged. The comparison faults (prefix-match,
 * case-insensitive-keys) can be switched on at run time against keys created
 * earlier, and they need characters of the secret that no digest can give
 * back: storing a digest per prefix length would be just as revealing (each
 * prefix digest leaks one more character to a brute force) and only more
 * complicated. The normal path never reads this map; it compares digests.
 */
const plaintextForFaults = new WeakMap<Credential, string>();

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function sha256Hex(text: string): string {
  return sha256(text).toString('hex');
}

/** Rejection sampling keeps every base62 character equally likely. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function generateSecret(environment: string): string {
  return `kp_${environment}_${randomBase62(SECRET_RANDOM_CHARS)}`;
}

function newCredential(secret: string): Credential {
  const credential: Credential = { hash: sha256(secret) };
  plaintextForFaults.set(credential, secret);
  return credential;
}

/** Checks untrusted input (a JSON body) field by field; throws KeyInputError. */
export function validateCreateKeyInput(input: unknown, defaultEnvironment: string): NewKeyFields {
  if (!isPlainObject(input)) throw new KeyInputError('the body must be a JSON object');
  const { name, environment = defaultEnvironment, scopes, owner, expiresInSeconds, expiresAt, rateLimit } = input;
  if (typeof name !== 'string' || name.trim() === '') throw new KeyInputError('"name" must be a non-empty string');
  if (typeof environment !== 'string' || !ENVIRONMENT_PATTERN.test(environment)) {
    throw new KeyInputError('"environment" must be lower-case letters, e.g. "prod" or "test"');
  }
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && s !== '')) {
    throw new KeyInputError('"scopes" must be an array of non-empty strings');
  }
  if (owner !== undefined && owner !== null && typeof owner !== 'string') throw new KeyInputError('"owner" must be a string');
  if (expiresInSeconds !== undefined && expiresAt !== undefined) {
    throw new KeyInputError('give "expiresInSeconds" or "expiresAt", not both');
  }
  let expiry: number | null = null;
  if (expiresInSeconds !== undefined) {
    if (typeof expiresInSeconds !== 'number' || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
      throw new KeyInputError('"expiresInSeconds" must be a positive number');
    }
    expiry = Date.now() + Math.round(expiresInSeconds * 1000);
  } else if (expiresAt !== undefined && expiresAt !== null) {
    const parsed = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
    if (Number.isNaN(parsed)) throw new KeyInputError('"expiresAt" must be an ISO 8601 date-time');
    expiry = parsed;
  }
  let policy: RateLimitPolicy | null = null;
  if (rateLimit !== undefined && rateLimit !== null) {
    policy = validateRateLimit(rateLimit, '"rateLimit"');
  }
  return {
    name,
    environment,
    scopes: [...(scopes as string[])],
    owner: typeof owner === 'string' ? owner : null,
    expiresAt: expiry,
    rateLimit: policy,
  };
}

export function validateRateLimit(value: unknown, label: string): RateLimitPolicy {
  if (!isPlainObject(value)) throw new KeyInputError(`${label} must be an object {limit, windowSeconds}`);
  const { limit, windowSeconds } = value;
  if (!Number.isSafeInteger(limit) || (limit as number) < 1) throw new KeyInputError(`${label}.limit must be a whole number, at least 1`);
  // RateLimit-Policy's w is an integer number of seconds.
  if (!Number.isSafeInteger(windowSeconds) || (windowSeconds as number) < 1) {
    throw new KeyInputError(`${label}.windowSeconds must be a whole number of seconds, at least 1`);
  }
  return { limit: limit as number, windowSeconds: windowSeconds as number };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function viewOf(key: StoredKey): KeyView {
  return {
    id: key.id,
    name: key.name,
    environment: key.environment,
    scopes: [...key.scopes],
    owner: key.owner,
    createdAt: new Date(key.createdAt).toISOString(),
    expiresAt: iso(key.expiresAt),
    lastUsedAt: iso(key.lastUsedAt),
    enabled: key.enabled,
    rateLimit: key.rateLimit ? { ...key.rateLimit } : null,
  };
}

/** Deleted keys are remembered this long, for a data plane that hears of the delete late. */
const TOMBSTONE_MS = 15 * 60_000;
/** Revocation events kept for inspection. */
const MAX_EVENTS = 1000;

/** Presented credentials whose digests KeyStore keeps at once (under a megabyte). */
const PRESENTED_DIGESTS = 4096;

export class KeyStore {
  private readonly keys = new Map<string, StoredKey>();
  /** Deleted keys with the moment of deletion, for a data plane that lags (revocation-delay, revocation-cache). */
  private readonly deleted = new Map<string, { key: StoredKey; deletedAt: number }>();
  private readonly events: RevocationEvent[] = [];
  /**
   * Every live credential by the hex of its digest. A correct comparison is a
   * lookup by digest (what real key stores do); comparing with every stored
   * digest made each request cost O(keys), and a run of 1,000 profiles with
   * thousands of canaries spent more CPU in the target than in keyprobe.
   */
  private readonly byDigest = new Map<string, KeyMatch>();
  /** Every credential of a deleted key by the hex of its digest, with the moment of deletion: the same lookup for tombstones. */
  private readonly deletedByDigest = new Map<string, KeyMatch & { deletedAt: number }>();
  /**
   * The digest of each credential presented lately, forgotten all at once past
   * PRESENTED_DIGESTS. The same credentials come again and again (a profile's
   * key on every call, a disabled canary forty times over, looked up among
   * live and then deleted keys), and hashing each one anew was a sixteenth of
   * the target's CPU in a run of 200 profiles. It holds what callers sent,
   * for as long as a request's own memory would; the store itself still keeps
   * digests only.
   */
  private readonly presentedDigests = new Map<string, string>();

  constructor(private readonly defaultEnvironment: string) {}

  create(input: unknown): CreatedKey {
    const valid = validateCreateKeyInput(input, this.defaultEnvironment);
    const secret = generateSecret(valid.environment);
    const key: StoredKey = {
      id: `key_${randomBytes(6).toString('hex')}`,
      name: valid.name,
      environment: valid.environment,
      scopes: Object.freeze(valid.scopes),
      owner: valid.owner,
      createdAt: Date.now(),
      expiresAt: valid.expiresAt,
      rateLimit: valid.rateLimit,
      lastUsedAt: null,
      enabled: true,
      disabledAt: null,
      requestsSinceDisable: 0,
      current: newCredential(secret),
      previous: [],
    };
    this.keys.set(key.id, key);
    this.byDigest.set(key.current.hash.toString('hex'), { key, credential: key.current });
    return { ...viewOf(key), secret };
  }

  get(id: string): StoredKey | undefined {
    return this.keys.get(id);
  }

  list(): StoredKey[] {
    return [...this.keys.values()];
  }

  disable(id: string): StoredKey | undefined {
    const key = this.keys.get(id);
    if (key?.enabled) {
      key.enabled = false;
      key.disabledAt = Date.now();
      key.requestsSinceDisable = 0;
      this.log(key, 'disable', key.disabledAt);
    }
    return key;
  }

  enable(id: string): StoredKey | undefined {
    const key = this.keys.get(id);
    if (key) {
      key.enabled = true;
      key.disabledAt = null;
    }
    return key;
  }

  /** New secret now; the old one keeps working for `gracePeriodSeconds` (default 0). */
  rotate(id: string, gracePeriodSeconds = 0): RotatedKey | undefined {
    const key = this.keys.get(id);
    if (!key) return undefined;
    const graceUntil = Date.now() + Math.round(gracePeriodSeconds * 1000);
    key.current.graceUntil = graceUntil;
    key.previous.unshift(key.current);
    const secret = generateSecret(key.environment);
    key.current = newCredential(secret);
    this.byDigest.set(key.current.hash.toString('hex'), { key, credential: key.current });
    return { ...viewOf(key), secret, previousSecretValidUntil: new Date(graceUntil).toISOString() };
  }

  delete(id: string): boolean {
    const key = this.keys.get(id);
    if (!key) return false;
    const now = Date.now();
    this.keys.delete(id);
    for (const credential of [key.current, ...key.previous]) this.byDigest.delete(credential.hash.toString('hex'));
    key.requestsSinceDisable = 0;
    // Tombstones are kept in order of deletion: the expired ones come first.
    for (const [oldId, t] of this.deleted) {
      if (t.deletedAt >= now - TOMBSTONE_MS) break;
      this.deleted.delete(oldId);
      for (const credential of [t.key.current, ...t.key.previous]) this.deletedByDigest.delete(credential.hash.toString('hex'));
    }
    this.deleted.set(id, { key, deletedAt: now });
    for (const credential of [key.current, ...key.previous])
      this.deletedByDigest.set(credential.hash.toString('hex'), { key, credential, deletedAt: now });
    this.log(key, 'delete', now);
    return true;
  }

  /** Every disable and delete so far (the last MAX_EVENTS), oldest first. */
  revocations(): RevocationEvent[] {
    return [...this.events];
  }

  private log(key: StoredKey, action: RevocationEvent['action'], at: number): void {
    this.events.push({ id: key.id, name: key.name, action, at });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  /**
   * Finds the key a presented secret belongs to: by the digest of what was
   * presented, so the answer time does not depend on which stored secret (if
   * any) shares a prefix with it. The faulty modes (a prefix or a lower-cased
   * comparison) compare with every stored credential, as such bugs do.
   */
  match(presented: string, mode: MatchMode = {}): KeyMatch | undefined {
    if (mode.prefixLength !== undefined || mode.caseInsensitive === true) return matchIn(this.keys.values(), presented, mode);
    return this.byDigest.get(this.digestOf(presented));
  }

  /** Like match, among deleted keys (kept for a while, for a data plane that hears of a delete late). */
  matchDeleted(presented: string, mode: MatchMode = {}): KeyMatch | undefined {
    if (mode.prefixLength === undefined && mode.caseInsensitive !== true) return this.deletedByDigest.get(this.digestOf(presented));
    const tombstones = [...this.deleted.values()];
    const found = matchIn(
      tombstones.map((t) => t.key),
      presented,
      mode,
    );
    return found && { ...found, deletedAt: this.deleted.get(found.key.id)!.deletedAt };
  }

  private digestOf(presented: string): string {
    let digest = this.presentedDigests.get(presented);
    if (digest === undefined) {
      if (this.presentedDigests.size >= PRESENTED_DIGESTS) this.presentedDigests.clear();
      digest = sha256Hex(presented);
      this.presentedDigests.set(presented, digest);
    }
    return digest;
  }
}

function matchIn(keys: Iterable<StoredKey>, presented: string, mode: MatchMode): KeyMatch | undefined {
  const faulty = mode.prefixLength !== undefined || mode.caseInsensitive === true;
  const presentedDigest = sha256(faulty ? normalise(presented, mode) : presented);
  let found: KeyMatch | undefined;
  for (const key of keys) {
    for (const credential of [key.current, ...key.previous]) {
      const stored = faulty ? faultyDigest(credential, mode) : credential.hash;
      if (stored && timingSafeEqual(presentedDigest, stored) && !found) found = { key, credential };
    }
  }
  return found;
}

function normalise(secret: string, mode: MatchMode): string {
  const cut = mode.prefixLength === undefined ? secret : secret.slice(0, mode.prefixLength);
  return mode.caseInsensitive ? cut.toLowerCase() : cut;
}

/** The digest a faulty comparison would have stored: of a prefix, or of a lower-cased secret. */
function faultyDigest(credential: Credential, mode: MatchMode): Buffer | undefined {
  const secret = plaintextForFaults.get(credential);
  return secret === undefined ? undefined : sha256(normalise(secret, mode));
}
