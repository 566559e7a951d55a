// `keyprobe audit --demo`: the reference target on loopback with a seeded
// inventory that breaks most rules once, audited through its own
// GET /admin/keys, exactly as a real management API would be. The keys are
// created (and some used, one disabled) through the target, so the audit
// sees real records; only the stale rule cannot show, since every key is
// created moments before the audit.
import { request } from 'undici';
import { startReferenceTarget, type ReferenceTarget } from '../reference/index.js';

const DAY_MS = 86_400_000;

export interface AuditDemo {
  readonly target: ReferenceTarget;
  readonly inventoryUrl: string;
  /** The environment the default mapping resolves the admin token from. */
  readonly env: Record<string, string>;
  /** Every secret the demo made (keys and admin token), for redaction and the leak scan. */
  readonly secrets: readonly string[];
}

interface SeedKey {
  readonly name: string;
  readonly environment?: string;
  readonly scopes: string[];
  readonly owner?: string;
  /** Days from now; negative for an already expired key; absent for no expiry. */
  readonly expiresInDays?: number;
  readonly use?: boolean;
  readonly disableAfterUse?: boolean;
}

const SEED: readonly SeedKey[] = [
  {
    name: 'crm-prod-agent-call',
    scopes: ['agents:read', 'agents:call'],
    owner: 'crm-platform-team@example.com',
    expiresInDays: 180,
    use: true,
  },
  {
    name: 'billing-prod-invoice-sync',
    scopes: ['workflows:read', 'workflows:run'],
    owner: 'billing-team@example.com',
    expiresInDays: 20,
    use: true,
  },
  { name: 'reporting-prod-export', scopes: ['resources:read'], expiresInDays: 90, use: true },
  { name: 'ops-prod-maintenance', scopes: ['*'], owner: 'ops-team@example.com', expiresInDays: 90 },
  { name: 'crm-prod-agent-sync', environment: 'test', scopes: ['agents:read'], owner: 'crm-platform-team@example.com', expiresInDays: 90 },
  { name: 'test', scopes: ['agents:read'], owner: 'qa-team@example.com', expiresInDays: 30 + 60 },
  { name: 'legacy-prod-webhook', scopes: ['agents:read'], owner: 'integrations-team@example.com' },
  { name: 'partner-prod-sync', scopes: ['agents:read'], owner: 'partners-team@example.com', expiresInDays: 730 },
  { name: 'archive-prod-export', scopes: ['resources:read'], owner: 'data-team@example.com', expiresInDays: -3 },
  {
    name: 'support-prod-agent-call',
    scopes: ['agents:read', 'agents:call'],
    owner: 'support-team@example.com',
    expiresInDays: 120,
    use: true,
    disableAfterUse: true,
  },
];

export async function startAuditDemo(): Promise<AuditDemo> {
  const target = await startReferenceTarget({ environment: 'prod' });
  try {
    const secrets: string[] = [target.adminToken];
    for (const seed of SEED) {
      const key = target.createKey({
        name: seed.name,
        environment: seed.environment ?? 'prod',
        scopes: seed.scopes,
        ...(seed.owner ? { owner: seed.owner } : {}),
        ...(seed.expiresInDays !== undefined ? { expiresAt: new Date(Date.now() + seed.expiresInDays * DAY_MS).toISOString() } : {}),
      });
      secrets.push(key.secret);
      if (seed.use) await call(target.origin, key.secret);
      if (seed.disableAfterUse) await admin(target, `/admin/keys/${key.id}/disable`);
    }
    return { target, inventoryUrl: `${target.origin}/admin/keys`, env: { KEYPROBE_ADMIN_TOKEN: target.adminToken }, secrets };
  } catch (err) {
    await target.close();
    throw err;
  }
}

/** One real call with the key, so the target records its last use. */
async function call(origin: string, secret: string): Promise<void> {
  const res = await request(`${origin}/v1/keys/self`, { headers: { authorization: `Bearer ${secret}` } });
  await res.body.dump();
}

async function admin(target: ReferenceTarget, path: string): Promise<void> {
  const res = await request(`${target.origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${target.adminToken}` } });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`the reference target answered ${res.statusCode} to POST ${path}`);
}
