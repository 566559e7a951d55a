// The `command` lifecycle adapter: a shell command per action. A profile that
// runs commands is code, so they run only when the operator allows it
// (--allow-commands, or KEYPROBE_ALLOW_COMMANDS=1), and each gets a minimal
// environment: PATH, HOME, the variables the profile lists by name
// (lifecycle.command.env) and the KEYPROBE_* variables of its action (see
// COMMAND_VARIABLES), never keyprobe's own environment with its keys in it.
//
// `create` and `rotate` print the new key as JSON on stdout,
// {"id":"…","secret":"…"}. Whatever the command does next (exit 1, hang),
// everything it printed is searched for secrets and they are registered
// before any output is kept; an id it printed is enough for keyprobe to
// delete the key again. Output is kept only when the command failed, with
// credentials scrubbed (a `curl -v` shows the admin token) and redacted; of a
// create or rotate's stdout only the JSON field names are kept.
//
// A disable, enable or delete command that exits 75 (EX_TEMPFAIL from
// sysexits.h: "temporary failure, try again") is retried like a throttled
// http request; create and rotate commands never are (keyprobe cannot know
// whether they made a key). Each run counts as one request against the
// budget: it most likely calls the target's management API.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { BudgetExceededError, InterruptedError } from '../errors.js';
import type { LifecycleAttempt } from '../result.js';
import { couldBeCredential, isCredentialName, jsonInText, looksRandom, randomTokens, searchJson } from './answer-secrets.js';
import { LifecycleAdapterBase, type StateAction } from './adapter-base.js';
import { defineAdapter } from './adapter-definition.js';
import { sq } from './shell-quote.js';
import { excerpt } from './deps.js';
import { isIdempotent, withRetries, type Try } from './retry.js';
import { scrubCredentials } from './scrub.js';
import {
  ACTION_PURPOSE,
  expiryForms,
  timingFrom,
  type ActionResult,
  type ActionTiming,
  type AnswerFields,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type NewKeySpec,
  type RotatedKey,
} from './types.js';

/**
 * The variables keyprobe sets for a lifecycle command, each only when the
 * action has a value for it. A profile cannot list these in
 * lifecycle.command.env: they always describe the action's own key.
 */
export const COMMAND_VARIABLES = {
  KEYPROBE_ACTION: 'the action: create, disable, enable, rotate or delete',
  KEYPROBE_TARGET: 'the target origin (target.origin)',
  KEYPROBE_KEY_ID: "the key's id (every action but create)",
  KEYPROBE_KEY_NAME: "the key's name",
  KEYPROBE_KEY_SCOPES: 'create: the scopes, space-separated',
  KEYPROBE_KEY_ENVIRONMENT: 'create: the environment',
  KEYPROBE_KEY_OWNER: 'create: the owner',
  KEYPROBE_EXPIRES_IN_SECONDS: 'create: seconds until the new key expires',
  KEYPROBE_EXPIRES_AT: 'create: the same expiry, ISO 8601 UTC (2027-03-01T12:00:30Z)',
  KEYPROBE_EXPIRES_AT_EPOCH_SECONDS: 'create: the same expiry, Unix seconds',
  KEYPROBE_EXPIRES_AT_EPOCH_MS: 'create: the same expiry, Unix milliseconds',
  KEYPROBE_GRACE_SECONDS: 'rotate: how long the old secret may keep working',
} as const;
/** Bytes of stdout/stderr read from a command; the rest is dropped. */
const OUTPUT_CAP = 64 * 1024;
/** After SIGTERM, a command gets this long before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** sysexits.h EX_TEMPFAIL: the command says "temporary failure, try again". */
const EXIT_TEMPFAIL = 75;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The KEYPROBE_* variables an action's command gets, besides KEYPROBE_ACTION and KEYPROBE_TARGET. */
const ACTION_VARIABLES: Readonly<Record<LifecycleAction, readonly (keyof typeof COMMAND_VARIABLES)[]>> = {
  create: [
    'KEYPROBE_KEY_NAME',
    'KEYPROBE_KEY_SCOPES',
    'KEYPROBE_KEY_ENVIRONMENT',
    'KEYPROBE_KEY_OWNER',
    'KEYPROBE_EXPIRES_IN_SECONDS',
    'KEYPROBE_EXPIRES_AT',
    'KEYPROBE_EXPIRES_AT_EPOCH_SECONDS',
    'KEYPROBE_EXPIRES_AT_EPOCH_MS',
  ],
  disable: ['KEYPROBE_KEY_ID', 'KEYPROBE_KEY_NAME'],
  enable: ['KEYPROBE_KEY_ID', 'KEYPROBE_KEY_NAME'],
  rotate: ['KEYPROBE_KEY_ID', 'KEYPROBE_KEY_NAME', 'KEYPROBE_GRACE_SECONDS'],
  delete: ['KEYPROBE_KEY_ID', 'KEYPROBE_KEY_NAME'],
};

/** The `lifecycle.command.<action>` field: what it is for, what it gets, what it must print, and an example. */
function commandAction(action: LifecycleAction) {
  const printsKey = action === 'create' || action === 'rotate';
  const contract = printsKey
    ? `It must print the new key as one JSON object on stdout (all of stdout, or one line of it): {"id":"…","secret":"…"}, other fields allowed${action === 'rotate' ? ', id only if the rotation gave the key a new one' : ''}. Exit 0 is done; a run that exits otherwise, or prints no secret, fails, and is never retried (a second run could make a second key). Whatever it does, everything it printed is searched for secrets first${action === 'create' ? ', and an id it printed is enough for keyprobe to delete the key' : ''}.`
    : `Exit 0 is done; exit ${EXIT_TEMPFAIL} (EX_TEMPFAIL, "try again") is retried within lifecycle.retry; any other exit fails the action.`;
  return z
    .string()
    .min(1)
    .optional()
    .meta({
      description: `${ACTION_PURPOSE[action]} Its variables, besides KEYPROBE_ACTION and KEYPROBE_TARGET: ${ACTION_VARIABLES[action].join(', ')}. ${contract}`,
      examples: [`./scripts/keys.sh ${action}`],
    });
}

/** A shell command per action; the key's id and name arrive as KEYPROBE_KEY_ID, KEYPROBE_KEY_NAME (…). create and rotate print {"id":…,"secret":…} on stdout. */
export const commandAdapterSchema = z
  .strictObject({
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .meta({
        description: `How long one run of a command may take, in ms. A command still running then is killed with everything it started (SIGTERM, SIGKILL ${KILL_GRACE_MS / 1000} s later) and the run fails. During cleanup, the cleanup's own time limit applies when shorter.`,
        examples: [60000],
      }),
    env: z
      .array(
        z
          .string()
          .regex(ENV_NAME, 'not an environment variable name (letters, digits and _, not starting with a digit)')
          .refine((name) => !(name in COMMAND_VARIABLES), {
            error: (issue) => `${String(issue.input)} is set by keyprobe for each action; do not list it`,
          }),
      )
      .default([])
      .meta({
        description:
          "Names of environment variables passed on from keyprobe's environment to the commands (a name that is not set is left out). A command gets only these, PATH, HOME and the KEYPROBE_* variables of its action, never keyprobe's whole environment with its keys in it. A listed value that looks like a credential is registered as a secret (redacted wherever a command echoes it). The KEYPROBE_* names cannot be listed.",
        examples: [['ADMIN_TOKEN'], ['ADMIN_TOKEN', 'KEYS_API_URL']],
      }),
    create: commandAction('create'),
    disable: commandAction('disable'),
    enable: commandAction('enable'),
    rotate: commandAction('rotate'),
    delete: commandAction('delete'),
  })
  .meta({
    description:
      "The command adapter (adapter: command): one shell command per action, run with sh -c exactly as written (keyprobe adds no arguments), from keyprobe's working directory. A profile that runs commands is code: they run only when the operator passes --allow-commands to keyprobe run (or sets KEYPROBE_ALLOW_COMMANDS=1); otherwise every action is skipped with that reason. A command's environment is PATH, HOME, the variables named in env, and its action's KEYPROBE_* variables. Its output is kept as evidence only when it fails, with credentials scrubbed. Each run counts as one request against target.budget. An action left out is one the adapter cannot do: the checks that need it skip and say so. See docs/lifecycle.md.",
  });

export type CommandAdapterSpec = z.output<typeof commandAdapterSchema>;

const COMMANDS_NOT_ALLOWED =
  'the command lifecycle adapter runs shell commands from the profile, which keyprobe does only when the operator allows it: pass --allow-commands to keyprobe run (or set KEYPROBE_ALLOW_COMMANDS=1)';

interface CommandRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly timing: ActionTiming;
}

/** What a create or rotate command printed as its key. */
interface PrintedKey extends AnswerFields {
  readonly id?: string;
  readonly secret?: string;
}

export const commandAdapter = defineAdapter({
  kind: 'command',
  summary: 'one shell command per action, run only with --allow-commands',
  schema: commandAdapterSchema,
  create: (spec, deps) => new CommandLifecycleAdapter(spec, deps),
  restoreLine: (spec, action, key, targetOrigin) => commandRestoreLine(spec, action, key, targetOrigin),
});

export class CommandLifecycleAdapter extends LifecycleAdapterBase<'command', CommandAdapterSpec> {
  readonly kind = 'command';

  protected async createKey(spec: NewKeySpec): Promise<ActionResult<CreatedKey>> {
    const r = await this.runFor('create', spec, keyEnv(spec));
    if (r.outcome === 'skipped') return r;
    const printed = r.outcome === 'done' ? r.value : r.printed;
    const orphan = printed?.id !== undefined ? { name: spec.name, id: printed.id } : undefined;
    if (r.outcome === 'failed')
      return { outcome: 'failed', reason: r.reason, ...(r.timing ? { timing: r.timing } : {}), ...(orphan ? { orphan } : {}) };
    const { id, secret, fields, fieldNames } = r.value;
    return {
      outcome: 'done',
      value: { name: spec.name, secret: secret!, ...(id !== undefined ? { id } : {}), fields, fieldNames },
      timing: r.timing,
    };
  }

  protected async rotateKey(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>> {
    const r = await this.runFor('rotate', key, { ...keyEnv(key), KEYPROBE_GRACE_SECONDS: String(graceSeconds) });
    if (r.outcome !== 'done')
      return r.outcome === 'failed' ? { outcome: 'failed', reason: r.reason, ...(r.timing ? { timing: r.timing } : {}) } : r;
    const { id, secret, fields, fieldNames } = r.value;
    return { outcome: 'done', value: { secret: secret!, ...(id !== undefined ? { id } : {}), fields, fieldNames }, timing: r.timing };
  }

  protected async changeState(action: StateAction, key: KeyRef): Promise<ActionResult> {
    const r = await this.runFor(action, key, keyEnv(key));
    if (r.outcome === 'done') return { outcome: 'done', value: undefined, timing: r.timing };
    return r.outcome === 'failed' ? { outcome: 'failed', reason: r.reason, ...(r.timing ? { timing: r.timing } : {}) } : r;
  }

  private async runFor(
    action: LifecycleAction,
    key: KeyRef | NewKeySpec,
    actionEnv: Record<string, string>,
  ): Promise<
    | { outcome: 'done'; value: PrintedKey; timing: ActionTiming }
    | { outcome: 'failed'; reason: string; timing?: ActionTiming; printed?: PrintedKey }
    | { outcome: 'skipped'; reason: string }
  > {
    const command = this.spec[action];
    // The base calls an action only when the profile declares it; this keeps TypeScript sure of it too.
    if (!command) return this.notOffered(action);
    const redact = (s: string) => this.redact(s);
    const cleanup = this.cleanupTimeoutMs !== undefined;
    const printsKey = action === 'create' || action === 'rotate';
    const shown = redact(scrubCredentials(command).text);
    const record = (
      outcome: 'done' | 'failed' | 'skipped',
      detail: string,
      durationMs: number,
      attempts: readonly LifecycleAttempt[],
      output?: string,
    ) => this.record(action, key, { outcome, detail, durationMs, attempts, ...(output ? { output } : {}) });

    if (!this.deps.allowCommands) {
      record('skipped', `\`${shown}\` not run: ${COMMANDS_NOT_ALLOWED}`, 0, []);
      return { outcome: 'skipped', reason: COMMANDS_NOT_ALLOWED };
    }
    const env = this.environment({ ...actionEnv, KEYPROBE_ACTION: action, KEYPROBE_TARGET: this.deps.profile.target.origin });
    const timeoutMs = cleanup ? Math.min(this.spec.timeoutMs, this.cleanupTimeoutMs!) : this.spec.timeoutMs;
    const startedAt = performance.now();
    const known = [key.name, ...('id' in key && key.id ? [key.id] : [])];

    const once = async (): Promise<Try<{ run?: CommandRun; budget?: string }>> => {
      try {
        this.deps.http.budget.take();
      } catch (err) {
        if (!(err instanceof BudgetExceededError)) throw err;
        return { result: { budget: err.message }, attempt: { error: `not run: ${err.message}` } };
      }
      const run = await runShell(command, env, timeoutMs, cleanup ? undefined : this.deps.signal);
      if (run.aborted) throw new InterruptedError(String(this.deps.signal.reason ?? 'abort'));
      const attempt: LifecycleAttempt = run.code !== null && !run.timedOut ? { exitCode: run.code } : { error: problemOf(run, timeoutMs)! };
      const retry = isIdempotent(action) && run.code === EXIT_TEMPFAIL && !run.timedOut;
      return { result: { run }, attempt, ...(retry ? { retry: { why: `exited ${EXIT_TEMPFAIL} (temporary failure)` } } : {}) };
    };
    let tried: Awaited<ReturnType<typeof withRetries<{ run?: CommandRun; budget?: string }>>>;
    try {
      tried = await withRetries(this.retryLimits(), once);
    } catch (err) {
      // During a run an interruption ends the check; a cleanup copy's "interruption" is its own time limit running out.
      if (!(err instanceof InterruptedError) || !cleanup) throw err;
      const reason = `cleanup time (${this.cleanupTimeoutMs} ms) ran out`;
      record('failed', `\`${shown}\` ${reason}`, timingFrom(startedAt).durationMs, []);
      return { outcome: 'failed', reason: `${action} command: ${reason}` };
    }
    const { result, attempts, gaveUp } = tried;
    if (result.budget !== undefined) {
      record('failed', `\`${shown}\` not run: ${result.budget}`, 0, attempts);
      return { outcome: 'failed', reason: result.budget };
    }
    const run = result.run!;
    const timing = timingFrom(startedAt);

    // Everything printed is searched and its secrets registered before anything is kept or judged.
    const printed = printsKey ? this.searchPrinted(run.stdout, known) : undefined;
    const stderr = this.scrubAndRegister(run.stderr);
    const stdout = printsKey ? undefined : this.scrubAndRegister(run.stdout);
    const tries = attempts.length > 1 ? ` after ${attempts.length} attempts` : '';

    let problem = gaveUp ?? problemOf(run, timeoutMs);
    if (!problem && printsKey && !printed?.secret)
      problem = `printed no {"id":…,"secret":…} JSON on stdout (${run.stdout.length} bytes, not shown: it may hold a secret)`;
    if (!problem) {
      record('done', `\`${shown}\` exited 0${tries}`, timing.durationMs, attempts);
      return { outcome: 'done', value: printed ?? { fields: {}, fieldNames: [] }, timing };
    }
    // Kept only now that it failed: scrubbed, redacted and capped.
    const stdoutShown = printsKey
      ? run.stdout.trim() &&
        (printed?.fieldNames.length
          ? `${run.stdout.length} bytes; JSON fields: ${printed.fieldNames.join(', ')}`
          : `${run.stdout.length} bytes, not shown: it may hold a secret`)
      : stdout && excerpt(stdout, redact);
    const stderrShown = stderr.trim() && excerpt(stderr, redact);
    const output = [stdoutShown && `stdout: ${stdoutShown}`, stderrShown && `stderr: ${stderrShown}`].filter(Boolean).join('\n');
    const idNote = action === 'create' && printed?.id !== undefined ? ' (it printed a key id, which keyprobe will delete)' : '';
    record('failed', `\`${shown}\` ${problem}${tries}`, timing.durationMs, attempts, output);
    return {
      outcome: 'failed',
      reason: `${action} command ${problem}${idNote}${stderrShown ? `: ${stderrShown.split('\n')[0]}` : ''}`,
      timing,
      ...(printed ? { printed } : {}),
    };
  }

  /** PATH, HOME and the variables the profile lists, from keyprobe's environment; then the action's own. */
  private environment(actionEnv: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of ['PATH', 'HOME']) {
      // Folder lists, never credentials, though a temp or tool-cache folder name can look random:
      // registering one would flag every report that names a file below it as a leak.
      const value = this.deps.env[name];
      if (value !== undefined) env[name] = value;
    }
    for (const name of this.spec.env) {
      const value = this.deps.env[name];
      if (value === undefined) continue;
      env[name] = value;
      // A credential handed to a command is a secret keyprobe now knows: redacted wherever the command echoes it.
      if ((isCredentialName(name) || looksRandom(value)) && couldBeCredential(value)) this.registerSecret(value, 'secret');
    }
    return { ...env, ...actionEnv };
  }

  /** A create or rotate's stdout: its key JSON and every other secret-looking value, registered at once. */
  private searchPrinted(stdout: string, known: readonly string[]): PrintedKey {
    const objects = jsonInText(stdout);
    const keyObject = objects.find((o) => typeof (o as { secret?: unknown }).secret === 'string') as
      | { id?: unknown; secret: string }
      | undefined;
    if (keyObject?.secret) this.registerSecret(keyObject.secret, 'canary');
    for (const o of objects)
      for (const s of searchJson(o, { secretPaths: ['secret'], idPath: 'id', known }).secrets) this.registerSecret(s, 'secret');
    // Lines that are not JSON may hold a key too (a script that echoes it); JSON lines were searched above.
    const prose = stdout
      .split('\n')
      .filter((line) => !line.trim().startsWith('{'))
      .join('\n');
    for (const t of randomTokens(prose)) if (!known.includes(t)) this.registerSecret(t, 'secret');
    this.scrubAndRegister(stdout);
    if (!keyObject) return { fields: {}, fieldNames: objects.length > 0 ? searchJson(objects[0], {}).fieldNames : [] };
    const search = searchJson(keyObject, { secretPaths: ['secret'], idPath: 'id', known });
    const id = typeof keyObject.id === 'string' || typeof keyObject.id === 'number' ? String(keyObject.id) : undefined;
    return { ...(id !== undefined ? { id } : {}), secret: keyObject.secret, fields: search.fields, fieldNames: search.fieldNames };
  }

  /** Scrubs credentials from output and registers what was scrubbed; returns the scrubbed text. */
  private scrubAndRegister(text: string): string {
    const scrubbed = scrubCredentials(text);
    for (const v of scrubbed.removed) this.registerSecret(v, 'secret');
    return scrubbed.text;
  }
}

/** The action's command with the variables it expects, for a person to run. */
function commandRestoreLine(spec: CommandAdapterSpec, action: 'enable' | 'delete', key: KeyRef, targetOrigin: string): string | undefined {
  const command = spec[action];
  if (!command) return undefined;
  const env = [
    `KEYPROBE_ACTION=${sq(action)}`,
    `KEYPROBE_KEY_NAME=${sq(key.name)}`,
    ...(key.id ? [`KEYPROBE_KEY_ID=${sq(key.id)}`] : []),
    `KEYPROBE_TARGET=${sq(targetOrigin)}`,
  ];
  return `${env.join(' ')} sh -c ${sq(command)}`;
}

function problemOf(run: CommandRun, timeoutMs: number): string | undefined {
  if (run.timedOut) return `did not finish within ${timeoutMs} ms (killed)`;
  if (run.code !== 0) return run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
  return undefined;
}

/** The KEYPROBE_* variables of a key (see COMMAND_VARIABLES); a create's new key has no id yet. */
function keyEnv(key: KeyRef | NewKeySpec): Record<string, string> {
  const spec = key as Partial<NewKeySpec> & KeyRef;
  const env: Partial<Record<keyof typeof COMMAND_VARIABLES, string>> = { KEYPROBE_KEY_NAME: spec.name };
  if (spec.id) env.KEYPROBE_KEY_ID = spec.id;
  if (spec.scopes) env.KEYPROBE_KEY_SCOPES = spec.scopes.join(' ');
  if (spec.environment) env.KEYPROBE_KEY_ENVIRONMENT = spec.environment;
  if (spec.owner) env.KEYPROBE_KEY_OWNER = spec.owner;
  if (spec.expiresInSeconds !== undefined) {
    const expiry = expiryForms(spec.expiresInSeconds);
    env.KEYPROBE_EXPIRES_IN_SECONDS = String(spec.expiresInSeconds);
    env.KEYPROBE_EXPIRES_AT = expiry.iso;
    env.KEYPROBE_EXPIRES_AT_EPOCH_SECONDS = String(expiry.epochSeconds);
    env.KEYPROBE_EXPIRES_AT_EPOCH_MS = String(expiry.epochMs);
  }
  return env as Record<string, string>;
}

/** Runs a shell command in its own process group, so a timeout kills everything it started. */
function runShell(command: string, env: NodeJS.ProcessEnv, timeoutMs: number, signal?: AbortSignal): Promise<CommandRun> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const child = spawn(command, { shell: true, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const collect = (which: 'out' | 'err') => (chunk: Buffer) => {
      if (which === 'out' && stdout.length < OUTPUT_CAP) stdout += chunk.toString('utf8').slice(0, OUTPUT_CAP - stdout.length);
      if (which === 'err' && stderr.length < OUTPUT_CAP) stderr += chunk.toString('utf8').slice(0, OUTPUT_CAP - stderr.length);
    };
    child.stdout.on('data', collect('out'));
    child.stderr.on('data', collect('err'));
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal: sig, stdout, stderr, timedOut, aborted, timing: timingFrom(startedAt) });
    };
    child.once('error', (err) => {
      stderr += `could not start the command: ${err.message}`;
      finish(127, null);
    });
    child.once('close', finish);
  });
}
