// Starting and stopping a reference target: one node:http server, its state,
// and the programmatic handle tests and the demo use. The server prints
// nothing on its own: an unexpected error becomes a bare 500, never a log line.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { ActiveBehaviours, type BehaviourName, type BehaviourSettings } from './behaviours.js';
import { ActiveFaults, type FaultName, type FaultSettings } from './faults.js';
import { BadRequestError, sendError } from './http-util.js';
import {
  ENVIRONMENT_PATTERN,
  KeyInputError,
  KeyStore,
  validateRateLimit,
  viewOf,
  type CreateKeyInput,
  type CreatedKey,
  type KeyView,
  type RateLimitPolicy,
  type RevocationEvent,
  type RotatedKey,
  type StoredKey,
} from './keys.js';
import { PlatformData } from './platform-data.js';
import { FixedWindowLimiter, rateLimitFields, sendThrottled, takeAdminLimit, takeClientLimit } from './rate-limit.js';
import { refusedFrom } from './revocation.js';
import { handleApi } from './routes.js';
import type { TargetState } from './state.js';
import { RequestStats, type TargetStats } from './stats.js';

export interface ReferenceTargetOptions {
  /** The environment this target serves; default 'prod'. */
  environment?: string;
  /** Default '127.0.0.1' (loopback). */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Bearer token for /admin; random when absent. Never logged. */
  adminToken?: string;
  /** Faults switched on from the start; validated (throws FaultError). */
  faults?: FaultSettings;
  /** Platform behaviours switched on from the start; validated (throws BehaviourError). */
  behaviours?: BehaviourSettings;
  /** For keys without their own limit; default 20 per 1 s. */
  defaultRateLimit?: RateLimitPolicy;
}

export interface ReferenceTarget {
  /** e.g. 'http://127.0.0.1:39123' */
  readonly origin: string;
  readonly port: number;
  readonly environment: string;
  readonly adminToken: string;
  /** Same as POST /admin/keys; throws KeyInputError on bad input. */
  createKey(input: CreateKeyInput): CreatedKey;
  /** Records without secrets. */
  listKeys(): KeyView[];
  getKey(id: string): KeyView | undefined;
  disableKey(id: string): KeyView | undefined;
  enableKey(id: string): KeyView | undefined;
  rotateKey(id: string, gracePeriodSeconds?: number): RotatedKey | undefined;
  deleteKey(id: string): boolean;
  /** Switches a fault on; `value` omitted means its default. Throws FaultError. */
  setFault(name: FaultName | string, value?: string | number | boolean): void;
  clearFault(name: FaultName | string): void;
  clearFaults(): void;
  faults(): FaultSettings;
  /** Switches a platform behaviour on; `value` omitted means its default. Throws BehaviourError. */
  setBehaviour(name: BehaviourName | string, value?: number | boolean | string): void;
  clearBehaviour(name: BehaviourName | string): void;
  clearBehaviours(): void;
  behaviours(): BehaviourSettings;
  /** Every disable and delete so far, with the moment the data plane started refusing the key (under the current faults and behaviours). */
  revocations(): (RevocationEvent & { readonly refusedFrom: number })[];
  stats(): TargetStats;
  resetStats(): void;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = Object.freeze({ limit: 20, windowSeconds: 1 });

function isAdminPath(pathname: string): boolean {
  return pathname === '/admin' || pathname.startsWith('/admin/');
}

async function dispatch(req: IncomingMessage, res: ServerResponse, state: TargetState, adminToken: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://reference.invalid');
  } catch {
    return sendError(res, 400, 'bad_request', 'The request target is not a valid URL.');
  }
  const admin = isAdminPath(url.pathname);
  if (!admin) state.stats.request();
  // client-rate-limit: one limiter per client address in front of everything, before authentication, /admin included.
  const client = takeClientLimit(req, state);
  if (client && !client.allowed) return sendThrottled(res, state, client, !admin);
  if (admin) {
    const adminLimit = takeAdminLimit(req, state);
    if (adminLimit && !adminLimit.allowed) return sendThrottled(res, state, adminLimit, false);
    return handleAdmin(req, res, url, state, adminToken);
  }
  return handleApi(req, res, url, state, client ? rateLimitFields(client) : undefined);
}

function answerFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof BadRequestError) sendError(res, 400, error.code, error.message);
  else if (error instanceof URIError) sendError(res, 400, 'bad_request', 'The path is not validly percent-encoded.');
  else sendError(res, 500, 'internal_error', 'The reference target failed to answer this request.');
}

export async function startReferenceTarget(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const environment = options.environment ?? 'prod';
  if (!ENVIRONMENT_PATTERN.test(environment)) {
    throw new KeyInputError(`environment must be lower-case letters, e.g. "prod" (got "${environment}")`);
  }
  const defaultRateLimit = options.defaultRateLimit ? validateRateLimit(options.defaultRateLimit, 'defaultRateLimit') : DEFAULT_RATE_LIMIT;
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  const state: TargetState = {
    environment,
    keys: new KeyStore(environment),
    faults: new ActiveFaults(options.faults),
    behaviours: new ActiveBehaviours(options.behaviours),
    startedAt: Date.now(),
    limiter: new FixedWindowLimiter(),
    defaultRateLimit,
    stats: new RequestStats(),
    data: new PlatformData(environment),
    otherData: new Map(),
  };

  const server = createServer((req, res) => {
    dispatch(req, res, state, adminToken).catch((error: unknown) => answerFailure(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const { keys, faults, behaviours, stats } = state;
  const view = (key: StoredKey | undefined): KeyView | undefined => (key ? viewOf(key) : undefined);
  return {
    origin: `http://${host}:${address.port}`,
    port: address.port,
    environment,
    adminToken,
    createKey: (input) => keys.create(input),
    listKeys: () => keys.list().map(viewOf),
    getKey: (id) => view(keys.get(id)),
    disableKey: (id) => view(keys.disable(id)),
    enableKey: (id) => view(keys.enable(id)),
    rotateKey: (id, gracePeriodSeconds) => keys.rotate(id, gracePeriodSeconds),
    deleteKey: (id) => keys.delete(id),
    setFault: (name, value) => faults.set(name, value),
    clearFault: (name) => faults.clear(name),
    clearFaults: () => faults.clear(),
    faults: () => faults.snapshot(),
    setBehaviour: (name, value) => behaviours.set(name, value),
    clearBehaviour: (name) => behaviours.clear(name),
    clearBehaviours: () => behaviours.clear(),
    behaviours: () => behaviours.snapshot(),
    revocations: () => keys.revocations().map((e) => ({ ...e, refusedFrom: refusedFrom(e.at, e.action, state) })),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}
