// Cleanup registry: what a check must undo (delete a canary it created,
// re-enable a key it disabled). The runner drains it after every check —
// pass, fail, throw or Ctrl-C — last registered first, each task bounded by
// a timeout and never tied to the run's abort signal. A task that says what
// it restores is then verified (the runner probes the key: accepted again
// after a re-enable, refused after a delete), because a management API that
// answers 200 is not proof that the key is back.
import type { KeyRef } from './types.js';

/** What a cleanup task puts back, so it can be verified and, when it was not, named with the way to do it by hand. */
export interface Restoration {
  readonly key: KeyRef;
  /** `own key`, `declared canary`, `created canary`. */
  readonly subject: string;
  readonly action: 'enable' | 'delete';
  /** The state the key is in until the task has run: `disabled`, `exists (not deleted)`. */
  readonly leftState: string;
  /** The key's secret, to probe with: kept in memory only, never in a report. Absent when keyprobe never learnt it (nothing to probe with). */
  readonly secret?: string;
}

export interface CleanupTask {
  readonly label: string;
  readonly restores?: Restoration;
  /**
   * Why probing the key cannot show that this task held, asked once it ran: a
   * canary disabled or expired before its delete is refused whether or not the
   * delete did anything. Undefined: probe as usual.
   */
  unprobeable?(): string | undefined;
  /** Gets the time it may take; throws (saying why) on failure. */
  run(timeoutMs: number): Promise<void>;
}

/** Checks that a restoration holds (probing the key); `detail` says what was seen either way. */
export type RestorationVerifier = (
  r: Restoration & { readonly secret: string },
  timeoutMs: number,
) => Promise<{ ok: true; detail: string } | { ok: false; detail: string }>;

export interface CleanupOutcome {
  readonly label: string;
  readonly restores?: Restoration;
  /** verified: done and seen to hold · done: done, nothing to verify it with (no secret, or a key refused anyway) · unverified: done but not seen to hold · failed: not done. */
  readonly outcome: 'verified' | 'done' | 'unverified' | 'failed';
  readonly detail: string;
}

/** Each cleanup task gets at most this long (its verification as long again). */
export const CLEANUP_TIMEOUT_MS = 10_000;

/**
 * Told when a task is registered and when it is dropped again: a worker
 * thread tells the main thread, so that a cleanup the thread never reported
 * (it crashed) is still reported, as failed (src/runner/shards.ts).
 */
export interface CleanupWatcher {
  added(task: CleanupTask): void;
  dropped(task: CleanupTask): void;
}

export class CleanupRegistry {
  private tasks: CleanupTask[] = [];

  constructor(private readonly watcher?: CleanupWatcher) {}

  /** Registers a task; the returned function drops it again (e.g. when the check undid it itself). */
  add(task: CleanupTask): () => void {
    this.tasks.push(task);
    this.watcher?.added(task);
    return () => {
      if (!this.tasks.includes(task)) return;
      this.tasks = this.tasks.filter((t) => t !== task);
      this.watcher?.dropped(task);
    };
  }

  get size(): number {
    return this.tasks.length;
  }

  async drain(timeoutMs = CLEANUP_TIMEOUT_MS, verify?: RestorationVerifier): Promise<CleanupOutcome[]> {
    const outcomes: CleanupOutcome[] = [];
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      const base = { label: task.label, ...(task.restores ? { restores: task.restores } : {}) };
      try {
        await bounded(task.run(timeoutMs), timeoutMs);
      } catch (err) {
        outcomes.push({ ...base, outcome: 'failed', detail: (err as Error)?.message ?? String(err) });
        continue;
      }
      const { restores } = task;
      const unprobeable = restores && verify ? task.unprobeable?.() : undefined;
      if (unprobeable) {
        // Never "verified": a refusal after the action would prove nothing.
        outcomes.push({ ...base, outcome: 'done', detail: `${restores!.action} sent; not verifiable by probing: ${unprobeable}` });
        continue;
      }
      const secret = restores?.secret;
      if (!restores || !verify || secret === undefined) {
        const unprobed = restores && verify ? "done; not probed (keyprobe never learnt the key's secret)" : 'done';
        outcomes.push({ ...base, outcome: 'done', detail: unprobed });
        continue;
      }
      try {
        const seen = await bounded(verify({ ...restores, secret }, timeoutMs), timeoutMs);
        outcomes.push({ ...base, outcome: seen.ok ? 'verified' : 'unverified', detail: seen.detail });
      } catch (err) {
        outcomes.push({ ...base, outcome: 'unverified', detail: `could not verify: ${(err as Error)?.message ?? String(err)}` });
      }
    }
    return outcomes;
  }
}

/** The promise, or a rejection once `timeoutMs` (plus a little) has passed. */
async function bounded<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs + 500);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
