// Test plumbing for lifecycle and rate checks: a reference target, a profile
// for it built in code (the same shape a YAML profile has), and a run of
// chosen checks through the real runner. Every target is closed after its test.
import { onTestFinished } from 'vitest';
import { profileSchema, type Profile } from '../../src/config/profile-schema.js';
import type { LoadedProfile } from '../../src/config/load-profile.js';
import { suiteOfAllChecks } from '../../src/checks/suite.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { startReferenceTarget, type ReferenceTarget, type ReferenceTargetOptions } from '../../src/reference/index.js';
import type { RunResult } from '../../src/result.js';
import { runSuite, type RunOptions } from '../../src/runner/run.js';
import { SecretRegistry } from '../../src/secrets.js';

export const SCOPES = ['agents:read', 'agents:call'];

export async function startTarget(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const target = await startReferenceTarget(options);
  // Per test, not a module-level afterEach: with isolate: false that would run for the first file loading this module only.
  onTestFinished(() => target.close());
  return target;
}

/** The http lifecycle section for the reference target's /admin API, as the demo profile has it. */
export function referenceLifecycle(target: ReferenceTarget, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    adapter: 'http',
    http: {
      credential: { secret: target.adminToken },
      create: {
        method: 'POST',
        path: '/admin/keys',
        body: {
          name: '{{name}}',
          environment: '{{environment}}',
          scopes: '{{scopes}}',
          owner: '{{owner}}',
          expiresInSeconds: '{{expiresInSeconds}}',
        },
      },
      disable: 'POST /admin/keys/{{id}}/disable',
      enable: 'POST /admin/keys/{{id}}/enable',
      rotate: { method: 'POST', path: '/admin/keys/{{id}}/rotate', body: { gracePeriodSeconds: '{{graceSeconds}}' } },
      delete: 'DELETE /admin/keys/{{id}}',
    },
    ...extra,
  };
}

export interface Fixture {
  readonly target: ReferenceTarget;
  readonly key: { id: string; secret: string };
  readonly profile: Profile;
  readonly loaded: LoadedProfile;
  readonly secrets: string[];
}

/** A key on `target` and a profile for it; `overrides` replace top-level profile sections. */
export function fixture(target: ReferenceTarget, overrides: Record<string, unknown> = {}): Fixture {
  const key = target.createKey({ name: 'crm-prod-agent-call', scopes: SCOPES, owner: 'crm@example.com' });
  const input = {
    key: {
      name: 'crm-prod-agent-call',
      system: 'crm',
      environment: 'prod',
      purpose: 'agent-call',
      secret: key.secret,
      id: key.id,
      scopes: SCOPES,
    },
    target: { origin: target.origin, budget: 1000 },
    allowed: ['GET /v1/agents'],
    rateLimit: { limit: 20, windowSeconds: 1, probe: 'GET /v1/agents' },
    lifecycle: referenceLifecycle(target),
    ...overrides,
  };
  const profile = profileSchema.parse(input);
  const secrets = [key.secret, target.adminToken];
  return { target, key, profile, loaded: { file: '(test profile)', digest: '0'.repeat(64), profile, secrets }, secrets };
}

/** Runs the given checks (default parameters) for one profile through the real runner. */
export async function runChecks(f: Fixture, ids: readonly string[], options: Partial<Omit<RunOptions, 'spool'>> = {}): Promise<RunResult> {
  return runSuite({ profiles: [f.loaded], suite: suiteOfAllChecks(), only: ids, secrets: new SecretRegistry(), ...options });
}

/** A client as a check gets it, for testing adapters and the burst generator directly. */
export function clientFor(
  f: Fixture,
  opts: { budget?: number; signal?: AbortSignal; secrets?: SecretRegistry } = {},
): { http: HttpClient; secrets: SecretRegistry; budget: RequestBudget } {
  const secrets = opts.secrets ?? new SecretRegistry();
  for (const s of f.secrets) secrets.add(s);
  const budget = new RequestBudget(opts.budget ?? 1000);
  const dispatcher = createDispatcher();
  onTestFinished(() => dispatcher.close());
  const http = new HttpClient({
    origin: f.target.origin,
    auth: f.profile.target.auth,
    primaryKey: f.key.secret,
    timeoutMs: 3000,
    budget,
    secrets,
    dispatcher,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { http, secrets, budget };
}

export function canariesLeft(target: ReferenceTarget): string[] {
  return target
    .listKeys()
    .filter((k) => k.name.startsWith('keyprobe-canary-'))
    .map((k) => k.name);
}

export function disabledKeys(target: ReferenceTarget): string[] {
  return target
    .listKeys()
    .filter((k) => !k.enabled)
    .map((k) => k.name);
}
