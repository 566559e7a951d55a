// A CheckContext built by hand, for testing the check kernel's primitives
// against a loopback server without the runner.
import type { CheckContext } from '../../src/checks/check.js';
import { type ProfileInput, profileSchema } from '../../src/config/profile-schema.js';
import { createDispatcher, HttpClient, RequestBudget } from '../../src/http/client.js';
import { DEFAULT_THROTTLE_RULE, type ThrottleRule } from '../../src/http/throttle.js';
import { CleanupRegistry } from '../../src/lifecycle/cleanup.js';
import { SecretRegistry } from '../../src/secrets.js';

export function checkContext(
  origin: string,
  key: string,
  extra: Partial<ProfileInput> = {},
  budget = 100,
  // Two tries: a request that stays throttled gives up fast.
  throttle: ThrottleRule = { ...DEFAULT_THROTTLE_RULE, maxTries: 2 },
): CheckContext {
  const secrets = new SecretRegistry();
  secrets.add(key, 'key');
  const profile = profileSchema.parse({
    key: { name: 'crm-prod-agent-call', system: 'crm', environment: 'prod', purpose: 'agent-call', secret: key },
    target: { origin },
    allowed: ['GET /ok'],
    ...extra,
  });
  const http = new HttpClient({
    origin,
    auth: { header: 'Authorization', scheme: 'Bearer' },
    primaryKey: key,
    timeoutMs: 2000,
    budget: new RequestBudget(budget),
    secrets,
    dispatcher: createDispatcher(),
    throttle,
  });
  return {
    profile,
    http,
    secrets,
    signal: new AbortController().signal,
    interactive: false,
    cleanup: new CleanupRegistry(),
    progress: () => {},
  };
}
