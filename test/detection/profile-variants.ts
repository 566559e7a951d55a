// Profile variants: defects that live in the key or its declaration rather
// than in the target's behaviour ("a key created with over-broad scopes or a
// bad name"). Each is generated at test time from the demo: it may create a
// key on the running reference target, edit the demo profile, and return the
// environment variables that change.
import type { Document } from 'yaml';
import { DEMO_SCOPES, type Demo } from '../../src/demo/seed.js';
import type { CreateKeyInput, CreatedKey } from '../../src/reference/index.js';

export interface VariantContext {
  readonly demo: Demo;
  /** The demo profile, parsed with its comments and ${env:…} references intact. */
  readonly doc: Document;
  /** Creates a key on the reference target; its secret is remembered for the leak scan. */
  createKey(input: CreateKeyInput): CreatedKey;
}

/** Returns environment variables to set or override for the profile. */
export type ProfileVariant = (ctx: VariantContext) => Record<string, string>;

const OWNER = 'crm-platform-team@example.com';
const DAY_MS = 86_400_000;

/** The demo key replaced by a new one made with `input`; the profile refers to it through the usual variables. */
function replaceKey(ctx: VariantContext, input: Partial<CreateKeyInput>): Record<string, string> {
  const key = ctx.createKey({
    name: 'crm-prod-agent-call',
    environment: 'prod',
    scopes: DEMO_SCOPES,
    owner: OWNER,
    expiresAt: ctx.demo.env.KEYPROBE_DEMO_KEY_EXPIRES,
    ...input,
  });
  return {
    KEYPROBE_DEMO_KEY: key.secret,
    KEYPROBE_DEMO_KEY_ID: key.id,
    KEYPROBE_DEMO_KEY_CREATED: key.createdAt,
    ...(key.expiresAt ? { KEYPROBE_DEMO_KEY_EXPIRES: key.expiresAt } : {}),
  };
}

export const PROFILE_VARIANTS: Readonly<Record<string, ProfileVariant>> = {
  // One scope more than the allowed resources need; the profile still declares only what they need.
  'over-broad-scopes': (ctx) => replaceKey(ctx, { scopes: [...DEMO_SCOPES, 'billing:admin'] }),

  'bad-name': (ctx) => {
    ctx.doc.setIn(['key', 'name'], 'new-key');
    return replaceKey(ctx, { name: 'new-key' });
  },

  // A key declared and named for test, pointed at the production target.
  'declared-for-test': (ctx) => {
    ctx.doc.setIn(['key', 'name'], 'crm-test-agent-call');
    ctx.doc.setIn(['key', 'environment'], 'test');
    return replaceKey(ctx, { name: 'crm-test-agent-call' });
  },

  'lifetime-too-long': (ctx) => replaceKey(ctx, { expiresAt: new Date(Date.now() + 3 * 365 * DAY_MS).toISOString() }),
};
