// The `manual` lifecycle adapter: asks a person to do the step ("Disable the
// key … in your key console, then press Enter") and times from their Enter.
// Without --interactive or without a terminal the step is skipped with that
// reason, never waited on, so CI cannot hang. Creating and rotating are not
// offered: they would need a person to type a new secret into a prompt.
import { InterruptedError } from '../errors.js';
import { z } from 'zod';
import { LifecycleAdapterBase, type StateAction } from './adapter-base.js';
import { defineAdapter } from './adapter-definition.js';
import {
  ACTION_PURPOSE,
  fillText,
  placeholderValues,
  timingFrom,
  unsupported,
  type ActionResult,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type RotatedKey,
} from './types.js';

const DEFAULT_TEXT: Record<'disable' | 'enable' | 'delete', string> = {
  disable: 'Disable the key "{{name}}"{{idPart}} in your key management console, then press Enter.',
  enable: 'Re-enable the key "{{name}}"{{idPart}} in your key management console, then press Enter.',
  delete: 'Delete the key "{{name}}"{{idPart}} in your key management console, then press Enter.',
};

/** The words shown for an action: the profile's own, or the default (its {{idPart}} shown as it reads). */
function manualAction(action: 'disable' | 'enable' | 'delete', example: string) {
  const byDefault = DEFAULT_TEXT[action].replace('{{idPart}}', ' (id {{id}})');
  return z
    .string()
    .min(1)
    .optional()
    .meta({
      description: `${ACTION_PURPOSE[action]} The words the operator is shown, with {{name}} and {{id}} filled in. Default: ${byDefault} Used only when ${action} is in lifecycle.manual.actions${action === 'disable' ? '' : `; also the step printed for a person to do when cleanup could not ${action} a key`}.`,
      examples: [example],
    });
}

/** What a person is asked to do; {{name}} and {{id}} are filled in. Defaults say it plainly. */
export const manualAdapterSchema = z
  .strictObject({
    actions: z
      .array(z.enum(['disable', 'enable', 'delete']))
      .min(1)
      .default(['disable', 'enable', 'delete'])
      .meta({
        description:
          'What a person can do to a key on this platform; the adapter offers only these, and the checks that need another action skip and say so. Leave out what the console cannot do, e.g. [delete] where keys cannot be disabled. Never create or rotate: a new secret would have to be typed into a prompt.',
        examples: [['delete'], ['disable', 'enable']],
      }),
    disable: manualAction('disable', 'Disable the key "{{name}}" (id {{id}}) under Settings → API keys, then press Enter.'),
    enable: manualAction('enable', 'Re-enable the key "{{name}}" (id {{id}}) under Settings → API keys, then press Enter.'),
    delete: manualAction('delete', 'Delete the key "{{name}}" (id {{id}}) in the console, then press Enter.'),
    /** A person who does not answer within this is taken as "not done". */
    timeoutSeconds: z
      .number()
      .positive()
      .default(600)
      .meta({
        description:
          'How long to wait for the operator\'s Enter, in seconds. No answer within it fails the step ("no one pressed Enter within N s"); the check then reports the action as not done.',
        examples: [120],
      }),
  })
  .meta({
    description:
      'The manual adapter (adapter: manual): a person at the terminal is shown each step ("ACTION NEEDED — <words>"), does it in your key console and presses Enter (or types skip); keyprobe times from that Enter. It asks only with --interactive and a terminal; otherwise each step is skipped with the reason, so CI never waits. It cannot create or rotate a key. The section may be left out: adapter: manual alone offers disable, enable and delete with the default words.',
  });

export type ManualAdapterSpec = z.output<typeof manualAdapterSchema>;

export const manualAdapter = defineAdapter({
  kind: 'manual',
  summary: 'a person at the terminal does each step and presses Enter, only with --interactive',
  schema: manualAdapterSchema,
  // A person can always be asked: without the section, the default words and all three actions.
  sectionOptional: true,
  create: (spec, deps) => new ManualLifecycleAdapter(spec, deps),
  offers: (spec, action) => manualOffers(spec, action),
  // The profile's own words for the step, if it has them.
  restoreLine: (spec, action, key) => (spec[action] ? fillText(spec[action], placeholderValues(key)) : undefined),
});

/** What a person can do on this platform: the actions listed, never create or rotate (the schema allows neither). */
function manualOffers(spec: ManualAdapterSpec, action: LifecycleAction): boolean {
  return (spec.actions as readonly LifecycleAction[]).includes(action);
}

export class ManualLifecycleAdapter extends LifecycleAdapterBase<'manual', ManualAdapterSpec> {
  readonly kind = 'manual';

  /** What a person can do on this platform (lifecycle.manual.actions); never create or rotate. */
  override can(action: LifecycleAction): boolean {
    return manualOffers(this.spec, action);
  }

  protected override notOffered(action: LifecycleAction): ActionResult<never> {
    if (action === 'create')
      return unsupported(
        'manual',
        'create',
        'a manual step cannot create a key (its new secret would have to be typed into a prompt); declare a spare canary key instead',
      );
    if (action === 'rotate')
      return unsupported('manual', 'rotate', 'a manual step cannot rotate a key (its new secret would have to be typed into a prompt)');
    return unsupported('manual', action, `the platform has no "${action}" step (lifecycle.manual.actions)`);
  }

  /** Never called: `can` offers no create (see notOffered). */
  protected async createKey(): Promise<ActionResult<CreatedKey>> {
    return this.notOffered('create');
  }

  /** Never called: `can` offers no rotate (see notOffered). */
  protected async rotateKey(): Promise<ActionResult<RotatedKey>> {
    return this.notOffered('rotate');
  }

  protected changeState(action: StateAction, key: KeyRef): Promise<ActionResult> {
    return this.ask(action, key);
  }

  private async ask(action: StateAction, key: KeyRef): Promise<ActionResult> {
    const cleanup = this.cleanupTimeoutMs !== undefined;
    const instruction = fillText(this.spec[action] ?? DEFAULT_TEXT[action], {
      name: key.name,
      id: key.id,
      idPart: key.id ? ` (id ${key.id})` : '',
    });
    const record = (outcome: 'done' | 'skipped' | 'failed', detail: string, durationMs?: number) =>
      this.record(action, key, { outcome, detail: `${detail}: ${instruction}`, ...(durationMs !== undefined ? { durationMs } : {}) });
    const skip = (reason: string): ActionResult => {
      record('skipped', `skipped (${reason})`);
      return { outcome: 'skipped', reason: `manual step skipped: ${reason}` };
    };

    if (!this.deps.interactive) return skip('keyprobe was not started with --interactive');
    const terminal = this.deps.terminal;
    if (!terminal?.input.isTTY) return skip('no terminal to ask on (stdin is not a TTY)');
    if (cleanup && this.deps.signal.aborted) return skip('the run was interrupted, so no one is asked; do it by hand');

    terminal.output.write(`\n  ACTION NEEDED — ${instruction}\n  (press Enter when it is done, or type "skip" and Enter) › `);
    const startedAt = performance.now();
    let line: string;
    try {
      line = await readLine(terminal.input, cleanup ? undefined : this.deps.signal, this.spec.timeoutSeconds * 1000);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      const timing = timingFrom(startedAt);
      record('failed', (err as Error).message, timing.durationMs);
      return { outcome: 'failed', reason: `manual step not confirmed: ${(err as Error).message}`, timing };
    }
    const timing = timingFrom(startedAt);
    if (/^\s*s(kip)?\s*$/i.test(line)) return skip('the operator chose to skip it');
    record('done', 'operator pressed Enter', timing.durationMs);
    return { outcome: 'done', value: undefined, timing };
  }
}

/** One line from `input`; rejects on end of input, timeout, or abort. Leaves the stream paused. */
export function readLine(input: NodeJS.ReadableStream, signal: AbortSignal | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const done = () => {
      input.off('data', onData);
      input.off('end', onEnd);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      input.pause();
    };
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      done();
      resolve(buffer.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = () => {
      done();
      reject(new Error('the input closed before anyone pressed Enter'));
    };
    const onAbort = () => {
      done();
      reject(new InterruptedError(String(signal?.reason ?? 'abort')));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no one pressed Enter within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}
