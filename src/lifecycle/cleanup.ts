// Cleanup registry: what a check must undo (delete a canary it created,
// re-enable a key it disabled). The runner drains it after every check —
// pass, fail, throw or Ctrl-C — last registered first, each task bounded by
// a timeout and never tied to the run's abort signal.

export interface CleanupTask {
  readonly label: string;
  /** Gets the time it may take; throws (with a message that says what to do by hand) on failure. */
  run(timeoutMs: number): Promise<void>;
}

export interface CleanupReport {
  readonly done: readonly string[];
  readonly failed: readonly string[];
}

/** Each cleanup task gets at most this long. */
export const CLEANUP_TIMEOUT_MS = 10_000;

export class CleanupRegistry {
  private tasks: CleanupTask[] = [];

  /** Registers a task; the returned function drops it again (e.g. when the check undid it itself). */
  add(task: CleanupTask): () => void {
    this.tasks.push(task);
    return () => {
      this.tasks = this.tasks.filter((t) => t !== task);
    };
  }

  get size(): number {
    return this.tasks.length;
  }

  async drain(timeoutMs = CLEANUP_TIMEOUT_MS): Promise<CleanupReport> {
    const done: string[] = [];
    const failed: string[] = [];
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          task.run(timeoutMs),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs + 500);
          }),
        ]);
        done.push(task.label);
      } catch (err) {
        failed.push(`${task.label}: ${(err as Error)?.message ?? String(err)}`);
      } finally {
        clearTimeout(timer);
      }
    }
    return { done, failed };
  }
}
