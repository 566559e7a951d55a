// Manual steps, tested with an injected input stream that claims to be a TTY:
// the "person" reads the prompt, does what it says on the reference target,
// and presses Enter.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import type { Terminal } from '../../src/lifecycle/deps.js';
import { createLifecycleAdapter } from '../../src/lifecycle/index.js';
import type { ActionRecord } from '../../src/lifecycle/types.js';
import { clientFor, disabledKeys, fixture, runChecks, startTarget, type Fixture } from './helpers.js';

/** A fake terminal: `onPrompt` plays the person, given the prompt text. */
function fakeTerminal(
  onPrompt: (prompt: string, enter: (line?: string) => void) => void,
  tty = true,
): Terminal & { printed: string[]; input: PassThrough } {
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const printed: string[] = [];
  return {
    input,
    printed,
    output: {
      write(text: string) {
        printed.push(text);
        if (text.includes('ACTION NEEDED')) setImmediate(() => onPrompt(text, (line = '') => input.write(`${line}\n`)));
        return true;
      },
    },
  };
}

function manualFixture(target: Awaited<ReturnType<typeof startTarget>>, extra: Record<string, unknown> = {}): Fixture {
  const canary = target.createKey({ name: 'crm-prod-agent-call-canary', scopes: ['agents:read'] });
  const f = fixture(target, {
    lifecycle: { adapter: 'manual', stabilityWindowMs: 300, ...extra },
    canary: { secret: canary.secret, id: canary.id, name: 'crm-prod-agent-call-canary' },
  });
  return { ...f, secrets: [...f.secrets, canary.secret], key: f.key };
}

function adapterFor(f: Fixture, terminal: Terminal | undefined, interactive = true, signal = new AbortController().signal) {
  const { http, secrets } = clientFor(f);
  const records: ActionRecord[] = [];
  return {
    adapter: createLifecycleAdapter({
      profile: f.profile,
      http,
      secrets,
      signal,
      interactive,
      ...(terminal ? { terminal } : {}),
      env: {},
      records,
    })!,
    records,
  };
}

describe('manual lifecycle adapter', () => {
  it('tells the person exactly what to do and times from their Enter', async () => {
    const target = await startTarget();
    const f = manualFixture(target);
    let enterAt = 0;
    const terminal = fakeTerminal((_prompt, enter) => {
      setTimeout(() => {
        enterAt = performance.now();
        enter();
      }, 50);
    });
    const { adapter, records } = adapterFor(f, terminal);
    const r = await adapter.disable({ name: 'crm-prod-agent-call-canary', id: 'key_123' });
    expect(terminal.printed.join('')).toContain(
      'ACTION NEEDED — Disable the key "crm-prod-agent-call-canary" (id key_123) in your key management console, then press Enter.',
    );
    expect(r.outcome).toBe('done');
    if (r.outcome === 'done') {
      expect(r.timing.returnedAt).toBeGreaterThanOrEqual(enterAt);
      expect(r.timing.durationMs).toBeGreaterThanOrEqual(45);
    }
    expect(records[0]).toMatchObject({ action: 'disable', adapter: 'manual', outcome: 'done' });
    expect(adapter.can('create')).toBe(false);
    expect(adapter.can('rotate')).toBe(false);
  });

  it('is skipped, never waited on, without --interactive or without a TTY; "skip" skips; a closed input fails', async () => {
    const target = await startTarget();
    const f = manualFixture(target, { manual: { disable: 'Open the CRM console and revoke {{name}}, then press Enter.' } });
    const never = () => undefined;
    expect(await adapterFor(f, fakeTerminal(never), false).adapter.disable({ name: 'k' })).toEqual({
      outcome: 'skipped',
      reason: 'manual step skipped: keyprobe was not started with --interactive',
    });
    expect(await adapterFor(f, fakeTerminal(never, false)).adapter.disable({ name: 'k' })).toEqual({
      outcome: 'skipped',
      reason: 'manual step skipped: no terminal to ask on (stdin is not a TTY)',
    });
    expect(await adapterFor(f, undefined).adapter.disable({ name: 'k' })).toMatchObject({ outcome: 'skipped' });

    const skipping = fakeTerminal((prompt, enter) => {
      expect(prompt).toContain('Open the CRM console and revoke k, then press Enter.');
      enter('skip');
    });
    expect(await adapterFor(f, skipping).adapter.disable({ name: 'k' })).toEqual({
      outcome: 'skipped',
      reason: 'manual step skipped: the operator chose to skip it',
    });

    const closing = fakeTerminal(() => undefined);
    setTimeout(() => closing.input.end(), 20);
    const closed = await adapterFor(f, closing).adapter.disable({ name: 'k' });
    expect(closed.outcome === 'failed' && closed.reason).toMatch(/the input closed before anyone pressed Enter/);
  });

  it('Ctrl-C while waiting for Enter ends the step; cleanup after Ctrl-C asks no one', async () => {
    const target = await startTarget();
    const f = manualFixture(target);
    const abort = new AbortController();
    const { adapter } = adapterFor(
      f,
      fakeTerminal(() => abort.abort('SIGINT')),
      true,
      abort.signal,
    );
    await expect(adapter.disable({ name: 'k' })).rejects.toBeInstanceOf(InterruptedError);
    expect(await adapter.forCleanup(1000).enable({ name: 'k' })).toEqual({
      outcome: 'skipped',
      reason: 'manual step skipped: the run was interrupted, so no one is asked; do it by hand',
    });
  });

  it('drives lifecycle.disabled-key-rejected end to end through the runner: disable and re-enable by hand', async () => {
    const target = await startTarget();
    const f = manualFixture(target);
    const canaryId = f.profile.canary!.id!;
    const prompts: string[] = [];
    const terminal = fakeTerminal((prompt, enter) => {
      prompts.push(prompt);
      // The person does what the prompt says on the platform, then presses Enter.
      if (prompt.includes('Disable the key')) target.disableKey(canaryId);
      if (prompt.includes('Re-enable the key')) target.enableKey(canaryId);
      enter();
    });
    const result = await runChecks(f, ['lifecycle.disabled-key-rejected'], { interactive: true, terminal });
    const c = result.profiles[0]!.checks[0]!;
    expect(c.verdict, c.message).toBe('pass');
    expect(c.measurements.subject).toBe('declared canary');
    expect(c.measurements.revocationLatencyMs as number).toBeLessThan(1000);
    expect(prompts).toHaveLength(2);
    expect(disabledKeys(target)).toEqual([]);
    expect(result.profiles[0]!.notes.join('\n')).toMatch(/cleanup: re-enable declared canary "crm-prod-agent-call-canary"/);

    // The same run without a terminal: skipped with the reason, in well under a second.
    const t0 = performance.now();
    const ci = await runChecks(f, ['lifecycle.disabled-key-rejected'], { interactive: true });
    expect(ci.profiles[0]!.checks[0]).toMatchObject({
      verdict: 'skip',
      message: 'manual step skipped: no terminal to ask on (stdin is not a TTY)',
    });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(disabledKeys(target)).toEqual([]);
    // Nothing was disabled, so there was nothing to restore: no failed cleanup, no prompt.
    expect(ci.profiles[0]!.notes.filter((n) => /cleanup/i.test(n))).toEqual([]);
  });
});
