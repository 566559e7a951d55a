// Shared test plumbing for the reference target: start targets that are
// always closed after each test, make real HTTP calls on loopback, and check
// that no answer ever carries a secret unless a fault says it should.

import { expect, onTestFinished, vi } from 'vitest';
import {
  startReferenceTarget,
  type CreateKeyInput,
  type CreatedKey,
  type ReferenceTarget,
  type ReferenceTargetOptions,
} from '../../src/reference/index.js';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON fields
  readonly json: any;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  key?: string;
  /** A raw Authorization header (wins over `key`). */
  authorization?: string;
  body?: unknown;
  /** A raw body, sent as is. */
  rawBody?: string;
}

const running = new Set<ReferenceTarget>();
/** Secrets created in the current test, which no API answer may contain. */
const secrets = new Set<string>();

/**
 * Closes this test's targets and forgets its secrets when the test ends,
 * registered by the first target or key of each test. Not a module-level
 * afterEach: the unit files share one module registry per worker (isolate:
 * false), so a hook registered when this module loads would run for the first
 * file that imports it and for no file after it.
 */
let cleanupRegistered = false;
function cleanUpAfterThisTest(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  onTestFinished(async () => {
    cleanupRegistered = false;
    const targets = [...running];
    running.clear();
    secrets.clear();
    await Promise.all(targets.map((t) => t.close()));
  });
}

export async function start(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  cleanUpAfterThisTest();
  const target = await startReferenceTarget(options);
  running.add(target);
  return target;
}

export function createKey(target: ReferenceTarget, input: Partial<CreateKeyInput> = {}): CreatedKey {
  cleanUpAfterThisTest();
  const key = target.createKey({ name: 'crm-prod-agent', scopes: ['agents:read'], ...input });
  secrets.add(key.secret);
  return key;
}

/** Faults whose whole point is to echo the presented key. */
const ECHOING_FAULTS = [
  'key-in-error',
  'key-echo',
  'key-echo-header',
  'refusal-echo',
  'foreign-key-echo',
  'disabled-key-echo',
  'expired-key-echo',
  'rotated-key-echo',
] as const;

export async function call(target: ReferenceTarget, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(target.origin + path, { method, headers, body, signal: AbortSignal.timeout(3000) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const answer: Answer = { status: response.status, headers: response.headers, text, json };
  const echoes = ECHOING_FAULTS.some((f) => target.faults()[f] !== undefined);
  // Creation and rotation are the only answers meant to hand out a secret.
  const hands = method === 'POST' && (path === '/admin/keys' || path.endsWith('/rotate'));
  if (!echoes && !hands) expectNoSecret(answer);
  return answer;
}

export function expectNoSecret(answer: Answer): void {
  for (const secret of secrets) {
    expect(answer.text, 'an answer carries a secret').not.toContain(secret);
    for (const [, value] of answer.headers) expect(value).not.toContain(secret);
  }
}

export function admin(target: ReferenceTarget, method: string, path: string, options: Omit<CallOptions, 'key'> = {}): Promise<Answer> {
  return call(target, method, `/admin${path}`, { authorization: `Bearer ${target.adminToken}`, ...options });
}

/** Creates a key over the management API and remembers its secret. */
export async function createKeyViaAdmin(target: ReferenceTarget, body: Record<string, unknown>): Promise<Answer> {
  const answer = await admin(target, 'POST', '/keys', { body });
  if (typeof answer.json?.secret === 'string') secrets.add(answer.json.secret);
  return answer;
}

export function rememberSecret(secret: string): void {
  secrets.add(secret);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The target's clock (Date) stands still until `later` moves it. For tests
 * whose point is an order (accepted before a deadline, refused after it; a
 * count inside one rate window): on a loaded machine a call can take longer
 * than the deadline or the window itself, which would blur that order. The
 * timing itself is proven by the timing projects (test/setup/timing-files.ts).
 * Only Date is faked: sockets and timers run as usual. Restored after each test.
 */
export function stillClock(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  // Process-wide: the rest of this worker's tests (other files too) need the real clock back.
  onTestFinished(() => void vi.useRealTimers());
}

/** Moves the still clock on by `ms`. */
export function later(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}
