// The `command` lifecycle adapter: a shell command per action. The key's id
// and name (and scopes, environment, owner, expiry, grace) arrive in the
// environment as KEYPROBE_KEY_ID, KEYPROBE_KEY_NAME, …; never its secret.
// `create` and `rotate` print the new key as JSON on stdout,
// {"id":"…","secret":"…"}, and that secret is registered the moment it is
// parsed, before any output is kept. Output is kept redacted and capped.
// Each command counts as one request against the budget: it most likely
// calls the target's management API, and keyprobe cannot see inside it.
import { spawn } from 'node:child_process';
import { BudgetExceededError, InterruptedError } from '../errors.js';
import type { CommandAdapterSpec } from '../config/profile-schema.js';
import { excerpt, type AdapterDeps } from './deps.js';
import {
  timingFrom,
  unsupported,
  type ActionResult,
  type ActionTiming,
  type CreatedKey,
  type KeyRef,
  type LifecycleAction,
  type LifecycleAdapter,
  type NewKeySpec,
  type RotatedKey,
} from './types.js';

/** Bytes of stdout/stderr read from a command; the rest is dropped. */
const OUTPUT_CAP = 64 * 1024;
/** After SIGTERM, a command gets this long before SIGKILL. */
const KILL_GRACE_MS = 2000;

interface CommandRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly timing: ActionTiming;
}

export class CommandLifecycleAdapter implements LifecycleAdapter {
  readonly kind = 'command';

  constructor(
    private readonly spec: CommandAdapterSpec,
    private readonly deps: AdapterDeps,
  ) {}

  can(action: LifecycleAction): boolean {
    return this.spec[action] !== undefined;
  }

  forCleanup(timeoutMs: number): LifecycleAdapter {
    return new CommandLifecycleAdapter(this.spec, { ...this.deps, cleanupTimeoutMs: timeoutMs });
  }

  records() {
    return [...this.deps.records];
  }

  async create(spec: NewKeySpec): Promise<ActionResult<CreatedKey>> {
    const r = await this.runFor('create', spec.name, keyEnv(spec), true);
    if (r.outcome !== 'done') return r;
    const value: CreatedKey & { fields?: Record<string, unknown> } = {
      name: spec.name,
      secret: r.value.secret!,
      ...(r.value.id ? { id: r.value.id } : {}),
      ...(r.value.fields ? { fields: r.value.fields } : {}),
    };
    return { outcome: 'done', value, timing: r.timing };
  }

  async rotate(key: KeyRef, graceSeconds: number): Promise<ActionResult<RotatedKey>> {
    const r = await this.runFor('rotate', key.name, { ...keyEnv(key), KEYPROBE_GRACE_SECONDS: String(graceSeconds) }, true);
    if (r.outcome !== 'done') return r;
    return { outcome: 'done', value: { secret: r.value.secret!, ...(r.value.id ? { id: r.value.id } : {}) }, timing: r.timing };
  }

  async disable(key: KeyRef): Promise<ActionResult> {
    return this.voidRun('disable', key);
  }

  async enable(key: KeyRef): Promise<ActionResult> {
    return this.voidRun('enable', key);
  }

  async delete(key: KeyRef): Promise<ActionResult> {
    return this.voidRun('delete', key);
  }

  private async voidRun(action: LifecycleAction, key: KeyRef): Promise<ActionResult> {
    const r = await this.runFor(action, key.name, keyEnv(key), false);
    return r.outcome === 'done' ? { ...r, value: undefined } : r;
  }

  private async runFor(
    action: LifecycleAction,
    keyName: string,
    env: Record<string, string>,
    printsKey: boolean,
  ): Promise<ActionResult<{ id?: string; secret?: string; fields?: Record<string, unknown> }>> {
    const command = this.spec[action];
    if (!command) return unsupported('command', action);
    const redact = (s: string) => this.deps.secrets.redact(s);
    const cleanup = this.deps.cleanupTimeoutMs !== undefined;
    const record = (outcome: 'done' | 'failed', detail: string, durationMs: number, output?: string) =>
      this.deps.records.push({
        action,
        adapter: 'command',
        key: keyName,
        outcome,
        detail,
        durationMs,
        ...(output ? { output } : {}),
        ...(cleanup ? { detached: true } : {}),
      });

    try {
      this.deps.http.budget.take();
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      record('failed', `not run: ${err.message}`, 0);
      return { outcome: 'failed', reason: err.message };
    }
    const timeoutMs = cleanup ? Math.min(this.spec.timeoutMs, this.deps.cleanupTimeoutMs!) : this.spec.timeoutMs;
    const run = await runShell(
      command,
      { ...this.deps.env, ...env, KEYPROBE_ACTION: action, KEYPROBE_TARGET: this.deps.profile.target.origin },
      timeoutMs,
      cleanup ? undefined : this.deps.signal,
    );
    if (run.aborted) throw new InterruptedError(String(this.deps.signal.reason ?? 'abort'));

    let value: { id?: string; secret?: string; fields?: Record<string, unknown> } = {};
    let problem: string | undefined;
    if (run.timedOut) problem = `did not finish within ${timeoutMs} ms (killed)`;
    else if (run.code !== 0) problem = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
    else if (printsKey) {
      const parsed = parseKeyJson(run.stdout);
      // Registered before the output below is redacted and kept.
      if (parsed) this.deps.secrets.add(parsed.secret, 'canary');
      if (parsed) value = parsed;
      else problem = `printed no {"id":…,"secret":…} JSON on stdout (${run.stdout.length} bytes, not shown: it may hold a secret)`;
    }
    const stdoutShown = problem && printsKey && !run.timedOut && run.code === 0 ? '' : excerpt(run.stdout, redact);
    const output = [stdoutShown && `stdout: ${stdoutShown}`, run.stderr.trim() && `stderr: ${excerpt(run.stderr, redact)}`]
      .filter(Boolean)
      .join('\n');
    const shown = redact(command);
    if (problem) {
      record('failed', `\`${shown}\` ${problem}`, run.timing.durationMs, output);
      return {
        outcome: 'failed',
        reason: `${action} command ${problem}${run.stderr.trim() ? `: ${excerpt(run.stderr, redact).split('\n')[0]}` : ''}`,
        timing: run.timing,
      };
    }
    record('done', `\`${shown}\` exited 0`, run.timing.durationMs, output);
    return { outcome: 'done', value, timing: run.timing };
  }
}

function keyEnv(key: KeyRef | NewKeySpec): Record<string, string> {
  const spec = key as Partial<NewKeySpec> & KeyRef;
  const env: Record<string, string> = { KEYPROBE_KEY_NAME: spec.name };
  if (spec.id) env.KEYPROBE_KEY_ID = spec.id;
  if (spec.scopes) env.KEYPROBE_KEY_SCOPES = spec.scopes.join(' ');
  if (spec.environment) env.KEYPROBE_KEY_ENVIRONMENT = spec.environment;
  if (spec.owner) env.KEYPROBE_KEY_OWNER = spec.owner;
  if (spec.expiresInSeconds !== undefined) env.KEYPROBE_EXPIRES_IN_SECONDS = String(spec.expiresInSeconds);
  return env;
}

/** The whole of stdout, or its last line, as {"secret": string, "id"?: string|number}. */
export function parseKeyJson(stdout: string): { id?: string; secret: string; fields?: Record<string, unknown> } | undefined {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const candidate of [stdout.trim(), lines[lines.length - 1] ?? '']) {
    try {
      const v = JSON.parse(candidate) as { id?: unknown; secret?: unknown };
      if (v && typeof v === 'object' && typeof v.secret === 'string' && v.secret) {
        // Everything else it printed (e.g. expiresAt, scopes) lets checks verify what the create really did.
        const { secret, id: _id, ...fields } = v as Record<string, unknown>;
        return {
          secret: v.secret,
          ...(typeof v.id === 'string' || typeof v.id === 'number' ? { id: String(v.id) } : {}),
          fields: Object.fromEntries(Object.entries(fields).filter(([, f]) => f !== secret)),
        };
      }
    } catch {
      // not this one
    }
  }
  return undefined;
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
