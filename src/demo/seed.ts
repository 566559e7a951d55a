// The embedded default: a reference target on loopback with the keys the
// bundled demo profile expects. Secrets reach the profile only through the
// environment it references (${env:…}), exactly as they would in CI.
import { parseBehaviourArgs, parseFaultArgs, startReferenceTarget, type ReferenceTarget } from '../reference/index.js';

export const DEMO_SCOPES = ['agents:read', 'agents:call'];
const DEMO_LIFETIME_DAYS = 180;

export interface Demo {
  readonly target: ReferenceTarget;
  /** Environment variables the demo profile references. */
  readonly env: Record<string, string>;
  /** Every secret the demo made, for redaction and the leak scan. */
  readonly secrets: readonly string[];
}

export async function startDemo(
  faultArgs: readonly string[] = [],
  environment = 'prod',
  port = 0,
  behaviourArgs: readonly string[] = [],
): Promise<Demo> {
  const target = await startReferenceTarget({
    environment,
    port,
    faults: parseFaultArgs([...faultArgs]),
    behaviours: parseBehaviourArgs(behaviourArgs),
  });
  try {
    const expiresAt = new Date(Date.now() + DEMO_LIFETIME_DAYS * 86_400_000).toISOString();
    const owner = 'crm-platform-team@example.com';
    const key = target.createKey({ name: `crm-${environment}-agent-call`, environment, scopes: DEMO_SCOPES, owner, expiresAt });
    const testKey = target.createKey({
      name: 'crm-test-agent-call',
      environment: environment === 'test' ? 'staging' : 'test',
      scopes: DEMO_SCOPES,
      owner,
      expiresAt,
    });
    const secondKey = target.createKey({
      name: `billing-${environment}-agent-call`,
      environment,
      scopes: DEMO_SCOPES,
      owner: 'billing-team@example.com',
      expiresAt,
    });
    // A spare key with the same scopes: checks that must expose a key (e.g. in a URL query) use it, never the real one.
    const canary = target.createKey({ name: `crm-${environment}-agent-call-canary`, environment, scopes: DEMO_SCOPES, owner, expiresAt });
    const env = {
      KEYPROBE_TARGET: target.origin,
      KEYPROBE_KEY: key.secret,
      KEYPROBE_KEY_ID: key.id,
      KEYPROBE_KEY_EXPIRES: expiresAt,
      KEYPROBE_KEY_CREATED: key.createdAt,
      KEYPROBE_CANARY_KEY: canary.secret,
      KEYPROBE_CANARY_KEY_ID: canary.id,
      KEYPROBE_FOREIGN_KEY: testKey.secret,
      KEYPROBE_FOREIGN_ENV: testKey.environment,
      KEYPROBE_SECOND_KEY: secondKey.secret,
      KEYPROBE_ADMIN_TOKEN: target.adminToken,
    };
    return { target, env, secrets: [key.secret, testKey.secret, secondKey.secret, canary.secret, target.adminToken] };
  } catch (err) {
    await target.close();
    throw err;
  }
}
