// The adapter registry is the one place a lifecycle adapter kind is named:
// the profile schema's `lifecycle.adapter` enum and `lifecycle.<kind>`
// sections, and the factory, all derive from it. These tests fail if a kind
// is listed but cannot be chosen, built, or described, so a half-added kind
// (the old failure: an enum value without a factory `case`, after which every
// destructive check skipped silently) cannot pass.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { profileSchema } from '../../src/config/profile-schema.js';
import { defineAdapter } from '../../src/lifecycle/adapter-definition.js';
import { ADAPTER_KINDS, ADAPTERS, adapterOffers } from '../../src/lifecycle/adapters.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import { restoreInstruction } from '../../src/lifecycle/restore.js';
import { type ActionRecord, LIFECYCLE_ACTIONS, type LifecycleAdapter } from '../../src/lifecycle/types.js';
import { jsonSchemaFor } from '../../src/schema/json-schemas.js';
import { clientFor, fixture, startTarget } from './helpers.js';

/** The smallest section each kind accepts, as a profile writes it. */
const MINIMAL_SECTION: Record<string, unknown> = {
  http: { disable: 'POST /admin/keys/{{id}}/disable' },
  command: { disable: 'true' },
  manual: { actions: ['disable', 'delete'] },
};

describe('lifecycle adapter registry', () => {
  it('lists each kind once, and the profile schema accepts exactly those kinds', () => {
    expect(new Set(ADAPTER_KINDS).size).toBe(ADAPTERS.length);
    expect([...ADAPTER_KINDS].sort()).toEqual(['command', 'http', 'manual']);
    const lifecycle = profileSchema.shape.lifecycle.unwrap();
    expect(lifecycle.shape.adapter.options).toEqual(ADAPTER_KINDS);
    for (const kind of ADAPTER_KINDS) expect(lifecycle.shape).toHaveProperty(kind);
  });

  it('has a minimal section in this test for every kind (add one when adding a kind)', () => {
    expect(Object.keys(MINIMAL_SECTION).sort()).toEqual([...ADAPTER_KINDS].sort());
  });

  it('builds, for every kind a profile may choose, an adapter of that kind', async () => {
    const target = await startTarget();
    for (const kind of ADAPTER_KINDS) {
      const f = fixture(target, { lifecycle: { adapter: kind, [kind]: MINIMAL_SECTION[kind] } });
      const { http, secrets } = clientFor(f);
      const records: ActionRecord[] = [];
      const adapter = createLifecycleAdapter({
        profile: f.profile,
        http,
        secrets,
        signal: new AbortController().signal,
        interactive: false,
        env: {},
        records,
      });
      expect(adapter?.kind, kind).toBe(kind);
      expect(adapter?.can('disable'), kind).toBe(true);
      expect(adapter?.forCleanup(1000).kind, kind).toBe(kind);
      // What checks read from the profile before any adapter exists agrees with the adapter itself.
      for (const action of LIFECYCLE_ACTIONS)
        expect(adapterOffers(f.profile.lifecycle!, action), `${kind} ${action}`).toBe(adapter?.can(action));
    }
  });

  it('refuses a kind whose section is required but missing, naming it', async () => {
    for (const definition of ADAPTERS.filter((a) => !a.sectionOptional)) {
      const result = profileSchema.shape.lifecycle.safeParse({ adapter: definition.kind });
      expect(result.success, definition.kind).toBe(false);
      expect(result.error?.issues.map((i) => i.message).join('\n')).toContain(`the ${definition.kind} section is missing`);
    }
  });

  it('puts each kind and its section, with descriptions, in the published profile JSON Schema', () => {
    const schema = jsonSchemaFor('profile') as {
      properties: { lifecycle: { properties: Record<string, { enum?: string[]; properties?: Record<string, unknown> }> } };
    };
    const lifecycle = schema.properties.lifecycle.properties;
    expect(lifecycle.adapter?.enum).toEqual(ADAPTER_KINDS);
    for (const kind of ADAPTER_KINDS) expect(lifecycle[kind]?.properties, kind).toBeDefined();
  });

  it('cannot define an adapter whose instances claim another kind (a compile error)', () => {
    const schema = z.strictObject({});
    const liar = {} as LifecycleAdapter<'other'>;
    // @ts-expect-error: a 'smoke' definition must build adapters of kind 'smoke'
    const definition = defineAdapter({ kind: 'smoke', schema, create: () => liar });
    expect(definition.kind).toBe('smoke');
  });
});

describe("restore lines, in each kind's own terms", () => {
  const target = { origin: 'http://127.0.0.1:9', auth: { header: 'Authorization', scheme: 'Bearer' }, timeoutMs: 1000 };
  const key = { name: 'canary-1', id: 'key_1' };
  const retry = { attempts: 5, maxSeconds: 30 };

  it('gives the command with its variables, the manual words, or the generic step', () => {
    const command = { adapter: 'command' as const, command: { enable: './enable.sh', timeoutMs: 1000, env: [] }, retry };
    expect(restoreInstruction({ target, lifecycle: command }, 'enable', key)).toBe(
      "KEYPROBE_ACTION='enable' KEYPROBE_KEY_NAME='canary-1' KEYPROBE_KEY_ID='key_1' KEYPROBE_TARGET='http://127.0.0.1:9' sh -c './enable.sh'",
    );
    const manual = {
      adapter: 'manual' as const,
      manual: { actions: ['delete' as const], delete: 'Remove {{name}} ({{id}}) in the console', timeoutSeconds: 1 },
      retry,
    };
    expect(restoreInstruction({ target, lifecycle: manual }, 'delete', key)).toBe('Remove canary-1 (key_1) in the console');
    expect(restoreInstruction({ target, lifecycle: { adapter: 'manual', retry } }, 'enable', key)).toBe(
      'Re-enable the key "canary-1" (id key_1) in your key management console.',
    );
    expect(restoreInstruction({ target }, 'delete', key)).toBe('Delete the key "canary-1" (id key_1) in your key management console.');
  });
});
