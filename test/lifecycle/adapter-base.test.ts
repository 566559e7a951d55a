// The base owns the bookkeeping every adapter shares, so a new adapter is
// its actions and nothing else. This one is ~15 lines: it "disables" by
// pretending, and gets from the base which actions it has, the skipped answer
// for the others, its cleanup copy, shared and redacted records, and the
// retry limits of lifecycle.retry.
import { describe, expect, it } from 'vitest';
import { LifecycleAdapterBase, type StateAction } from '../../src/lifecycle/adapter-base.js';
import type { AdapterDeps } from '../../src/lifecycle/deps.js';
import type { ActionRecord, ActionResult, CreatedKey, KeyRef, RotatedKey } from '../../src/lifecycle/types.js';
import { SecretRegistry } from '../../src/secrets.js';

const ADMIN_SECRET = 'adm_Zq8Lr3Vt6Wm1Xp4Ys7Bn2Hc5Jd9Kf0Gh';

type EchoSpec = Partial<Record<StateAction, string>>;

class EchoAdapter extends LifecycleAdapterBase<'echo', EchoSpec> {
  readonly kind = 'echo';
  protected async createKey(): Promise<ActionResult<CreatedKey>> {
    throw new Error('never called: create is not declared');
  }
  protected async rotateKey(): Promise<ActionResult<RotatedKey>> {
    throw new Error('never called: rotate is not declared');
  }
  protected async changeState(action: StateAction, key: KeyRef): Promise<ActionResult> {
    this.registerSecret(ADMIN_SECRET, 'secret');
    const detail = `${this.spec[action]} ${key.id} with ${ADMIN_SECRET}`;
    this.record(action, key, { outcome: 'done', detail, durationMs: 1, attempts: [{ error: `first try: ${ADMIN_SECRET} refused` }, {}] });
    return { outcome: 'done', value: undefined, timing: { startedAt: 0, returnedAt: 1, durationMs: 1 } };
  }
}

function deps(records: ActionRecord[], secrets = new SecretRegistry()): AdapterDeps {
  return {
    profile: {
      target: { origin: 'http://127.0.0.1:9', auth: { header: 'Authorization', scheme: 'Bearer' }, timeoutMs: 1000 },
      key: { secret: 'kp_unused_aaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      lifecycle: { adapter: 'http', retry: { attempts: 3, maxSeconds: 7 } },
    },
    http: undefined as never,
    secrets,
    signal: new AbortController().signal,
    interactive: false,
    env: {},
    records,
  };
}

describe('the lifecycle adapter base', () => {
  it('offers exactly the declared actions and answers the others "skipped" without calling the adapter', async () => {
    const adapter = new EchoAdapter({ disable: 'POST /off' }, deps([]));
    expect(adapter.can('disable')).toBe(true);
    expect(adapter.can('delete')).toBe(false);
    expect(await adapter.create({ name: 'n', scopes: [], environment: 'prod' })).toEqual({
      outcome: 'skipped',
      reason: 'the echo lifecycle adapter has no "create" action in this profile',
    });
    expect((await adapter.delete({ name: 'n', id: 'k1' })).outcome).toBe('skipped');
    expect(adapter.records()).toEqual([]);
  });

  it("records each action with kind and key name, redacted, and marks a cleanup copy's records detached", async () => {
    const records: ActionRecord[] = [];
    const adapter = new EchoAdapter({ disable: 'POST /off', delete: 'DELETE /k' }, deps(records));
    await adapter.disable({ name: 'canary-1', id: 'k1' });
    const copy = adapter.forCleanup(500);
    expect(copy.kind).toBe('echo');
    await copy.delete({ name: 'canary-1', id: 'k1' });

    const kept = adapter.records();
    expect(kept).toHaveLength(2);
    expect(copy.records()).toEqual(kept);
    expect(kept[0]).toMatchObject({ action: 'disable', adapter: 'echo', key: 'canary-1', outcome: 'done', durationMs: 1 });
    expect(kept[0]).not.toHaveProperty('detached');
    expect(kept[1]).toMatchObject({ action: 'delete', detached: true });
    // The detail is the adapter's own words (it redacts what it writes); tries' errors are redacted by the base.
    expect(JSON.stringify(kept.map((r) => r.attempts))).not.toContain(ADMIN_SECRET);
    expect(kept[0]?.attempts?.[0]?.error).toMatch(/^first try: \[secret sha256:[0-9a-f]{8}\] refused$/);
  });

  it('gives an action the retry limits of lifecycle.retry, and a cleanup copy its deadline', () => {
    class Limits extends EchoAdapter {
      limits() {
        return this.retryLimits();
      }
    }
    const run = new Limits({}, deps([])).limits();
    expect(run.policy).toEqual({ attempts: 3, maxMs: 7000 });
    expect(run.deadline).toBeUndefined();
    const cleanup = (new Limits({}, deps([])).forCleanup(250) as Limits).limits();
    expect(cleanup.deadlineName).toBe('the cleanup time (250 ms)');
    expect(cleanup.deadline! - performance.now()).toBeLessThanOrEqual(250);
    expect(cleanup.signal.aborted).toBe(false);
  });
});
