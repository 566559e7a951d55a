// A big run's checks on worker threads (issue #15): one JS thread was the
// limit of a thousand-profile run while the other cores idled. Each shard
// (src/runner/sharding.ts: profiles that share a rate-limit bucket stay
// together) runs on a worker thread of its own (src/runner/shard-worker.ts)
// with runProfiles, exactly as a single-threaded run runs them all; this
// thread stays the run's one voice:
//
// - every result, progress line and cleanup record comes here as a message
//   and goes through the same sink and observer as in a single-threaded run
//   (the spool, the verdict, the console behind its secret screen);
// - every secret a worker learns (a canary it created, a rotated key, a
//   derived credential) reaches this thread's leak scanner (the console
//   screen and the publish scan) before any message sent after it is
//   handled (the `seen` stamp, shard-messages.ts). A worker redacts the secrets of its own profiles and
//   those it learns, not those of the other threads' profiles (registering
//   every secret of a thousand profiles costs each registry some 50 MB and
//   seconds of CPU): a target that echoes one profile's key or canary to a
//   profile on another thread has that file withheld by the publish scan and
//   that line by the console screen (exit 4), as for any secret no redactor
//   knew; a profile holding another's key on one origin shares its thread;
// - an interrupt reaches every worker, each runs its cleanups, and this
//   thread waits for them, at most STOP_GRACE_MS;
// - a worker that crashes (or is stopped) leaves every check it had not
//   reported an error, and every cleanup it had registered and not reported
//   a failed one (the key's state is not known): never a pass, never silent.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { PlannedCheck } from '../checks/suite.js';
import { CLEANUP_TIMEOUT_MS } from '../lifecycle/cleanup.js';
import { restoreInstruction } from '../lifecycle/restore.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { CheckResult, CleanupRecord, ProfileSummary } from '../result.js';
import type { SecretRegistry } from '../secrets.js';
import type { RunObserver } from './observer.js';
import type { ProfileEntry, RunOptions, RunSink } from './run.js';
import type { FromWorker, PendingCleanup, ShardInput, ToWorker } from './shard-messages.js';
import type { Shard } from './sharding.js';

/**
 * After an interrupt, how long a worker may take to finish its cleanups: a
 * task gets CLEANUP_TIMEOUT_MS and its verification as long again; a worker
 * still running after that is stopped, and its unreported cleanups are failed.
 */
export const STOP_GRACE_MS = 3 * CLEANUP_TIMEOUT_MS;

/**
 * A shard worker's young generation (V8's nursery), in MB: 8, where V8 gives
 * every isolate 48 (32 MB of new space, which a busy worker grows to within
 * seconds and keeps). Three nurseries (the main thread's and two workers')
 * made some 50-70 MiB of a two-thread run's RSS while holding little that
 * lives: a check's exchanges outlive a nursery collection either way. 200
 * profiles on two threads, alternated at load 12-29: peak RSS 329-354 MiB
 * with V8's nursery, 283-306 MiB with this, CPU within the noise
 * (bench/memory.md, "Shard workers").
 */
export const SHARD_YOUNG_GENERATION_MB = 8;

export interface ShardedRun {
  readonly options: RunOptions;
  readonly entries: readonly ProfileEntry[];
  readonly plan: readonly PlannedCheck[];
  readonly shards: readonly Shard[];
  readonly secrets: SecretRegistry;
  readonly signal: AbortSignal;
  readonly observer: Required<RunObserver>;
  readonly sink: RunSink;
  /** The result of a check that never reported (runner/run.ts's unrunResult: calls the observer too). */
  readonly unrun: (planned: PlannedCheck, message: string, summary: ProfileSummary) => CheckResult;
}

/** What this thread knows of one worker's progress, to finish its profiles for it if it stops. */
interface ShardState {
  readonly shard: Shard;
  readonly worker: Worker;
  /** The port the worker posts its batches to. */
  readonly inbox: MessagePort;
  /** Profiles it finished; positions of checks it reported, by profile. */
  readonly finished: Set<number>;
  readonly reported: Map<number, Set<number>>;
  /** Cleanup tasks registered and not yet reported (by the worker's task number). */
  readonly pending: Map<number, PendingCleanup>;
  ended: boolean;
}

/** A message waiting to be handled, with the worker it came from. */
type Queued =
  | { readonly from: ShardState; readonly message: Exclude<FromWorker, { t: 'secret' }> }
  | { readonly from: ShardState; readonly stopped: string };

export async function runShards(run: ShardedRun): Promise<void> {
  const { entries, plan, secrets, observer, sink, signal } = run;
  const learned = new SharedArrayBuffer(4);
  // Secret messages handled so far (from every worker): a message stamped with a higher count waits.
  let secretsHandled = 0;
  const queue: Queued[] = [];
  const planData = plan.map((p) => ({ id: p.check.id, gating: p.gating, ...(p.required ? { required: true } : {}), params: p.params }));
  // Each secret with the label runSuite gave it (the first profile to hold it decides), in the order it registered them.
  const labels = new Map<string, string>();
  for (const e of entries)
    for (const s of e.loaded.secrets) if (!labels.has(s)) labels.set(s, s === e.loaded.profile.key.secret ? 'key' : 'secret');
  /** The secrets of a shard's profiles, labelled and ordered as on this thread. */
  const secretsOf = (shard: Shard) => {
    const held = new Set(shard.profiles.flatMap((i) => entry(i).loaded.secrets));
    return [...labels].filter(([s]) => held.has(s));
  };
  const entry = (index: number) => entries[index]!;

  return new Promise<void>((resolve, reject) => {
    let failed = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const states: ShardState[] = [];
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      for (const s of states) {
        s.inbox.close();
        void s.worker.terminate();
      }
      reject(err);
    };
    const finishIfDone = () => {
      if (failed || queue.length > 0 || !states.every((s) => s.ended)) return;
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const send = (state: ShardState, message: ToWorker) => {
      if (!state.ended) state.worker.postMessage(message);
    };
    const onAbort = () => {
      const reason = String(signal.reason ?? 'abort');
      for (const s of states) send(s, { t: 'abort', reason });
      const graceMs = run.options.stopGraceMs ?? STOP_GRACE_MS;
      graceTimer = setTimeout(() => {
        for (const s of states)
          if (!s.ended) {
            takeWaiting(s);
            queue.push({ from: s, stopped: `it had not finished its cleanups ${graceMs / 1000} s after the interrupt and was stopped` });
            void s.worker.terminate();
          }
        drain();
      }, graceMs);
    };

    const handle = (state: ShardState, m: Exclude<FromWorker, { t: 'secret' }>) => {
      switch (m.t) {
        case 'started':
          observer.checkStarted(entry(m.index).summary, m.check);
          break;
        case 'progress':
          observer.checkProgress(entry(m.index).summary, m.checkId, m.text);
          break;
        case 'preflight':
          observer.preflightFinished(entry(m.index).summary, m.preflight);
          break;
        case 'check': {
          // Parsed here as the spool and the reporters read it back; the line goes to the spool as it came.
          const result = JSON.parse(m.json) as CheckResult;
          observer.checkFinished(entry(m.index).summary, result);
          sink.check(m.index, m.position, result, m.json);
          const reported = state.reported.get(m.index) ?? new Set<number>();
          reported.add(m.position);
          state.reported.set(m.index, reported);
          // Its cleanups were drained and their records sent before the result.
          for (const [task, p] of state.pending) if (p.index === m.index && p.checkId === result.id) state.pending.delete(task);
          break;
        }
        case 'profile':
          sink.profile(m.index, m.run);
          state.finished.add(m.index);
          break;
        case 'cleanup':
          sink.cleanup(m.record);
          break;
        case 'cleanup-added':
          state.pending.set(m.task, m.cleanup);
          break;
        case 'cleanup-dropped':
          state.pending.delete(m.task);
          break;
        case 'done':
          state.ended = true;
          void state.worker.terminate();
          break;
      }
    };

    /** Handles queued messages in order, each once every secret sent before it has been handled. */
    const drain = () => {
      try {
        while (queue.length > 0) {
          const next = queue[0]!;
          if ('message' in next) {
            if (next.message.seen > secretsHandled) break;
            queue.shift();
            handle(next.from, next.message);
          } else {
            queue.shift();
            stopped(next.from, next.stopped);
          }
        }
        finishIfDone();
      } catch (err) {
        fail(err);
      }
    };

    /** A worker that ended without finishing: what it did not report is an error, its unreported cleanups failed. */
    const stopped = (state: ShardState, why: string) => {
      if (state.ended) return;
      state.ended = true;
      const reason = secrets.redact(`the worker thread running this profile's checks stopped before it finished: ${why}`);
      const unknownCleanups = [...state.pending.values()];
      state.pending.clear();
      for (const index of state.shard.profiles) {
        if (state.finished.has(index)) continue;
        const { loaded, summary } = entry(index);
        const notes = [`${reason}. Checks it had not reported are errors; how many requests it had sent is not known.`];
        for (const c of unknownCleanups.filter((p) => p.index === index)) {
          const line = secrets.redact(`${c.label}: not known whether it ran (${why})`);
          notes.push(`${c.checkId}: CLEANUP FAILED: ${line}`);
          if (c.restores) sink.cleanup(unknownCleanup(c, summary, loaded, line, (s) => secrets.redact(s)));
        }
        const reported = state.reported.get(index);
        for (const [position, planned] of plan.entries())
          if (!reported?.has(position)) sink.check(index, position, run.unrun(planned, `could not verify: ${reason}`, summary));
        sink.profile(index, {
          profile: summary,
          requestsSent: 0,
          requestBudget: run.options.budget ?? loaded.profile.target.budget,
          notes,
        });
      }
    };

    /** A batch from a worker: its secrets into the leak scanner at once, the rest queued (none once it has stopped). */
    const received = (state: ShardState, batch: FromWorker[]) => {
      if (failed) return;
      for (const m of batch) {
        if (m.t === 'secret') {
          // At once, ahead of anything queued: knowing a secret sooner only screens more. Into the leak scanner
          // (the console screen and the publish scan) only: the worker redacts it, and a redactor's forms of every
          // secret a thousand profiles learn, held on this thread again, would be some 90 MB more at the peak.
          try {
            secrets.scanner.add(m.secret, m.label);
          } catch (err) {
            fail(err);
            return;
          }
          secretsHandled++;
          // A worker already given up for stopped said all it counts for: what it says after is not a second answer.
        } else if (!state.ended) queue.push({ from: state, message: m });
      }
    };
    /** Every batch the worker posted that is still waiting on its port, taken now (a dead worker's last words). */
    const takeWaiting = (state: ShardState) => {
      for (let m = receiveMessageOnPort(state.inbox); m !== undefined; m = receiveMessageOnPort(state.inbox))
        received(state, m.message as FromWorker[]);
    };

    for (const shard of run.shards) {
      const input: Omit<ShardInput, 'port'> = {
        profiles: shard.profiles.map((index) => {
          const { loaded, summary } = entry(index);
          return {
            index,
            summary,
            file: loaded.file,
            digest: loaded.digest,
            profile: loaded.profile,
            secrets: loaded.secrets,
            ...(loaded.ca !== undefined ? { ca: loaded.ca } : {}),
            ...(loaded.text !== undefined ? { text: loaded.text } : {}),
          };
        }),
        plan: planData,
        concurrency: shard.concurrency,
        secrets: secretsOf(shard),
        learned,
        options: {
          ...(run.options.budget !== undefined ? { budget: run.options.budget } : {}),
          ...(run.options.ca !== undefined ? { ca: run.options.ca } : {}),
          ...(run.options.env ? { env: { ...run.options.env } } : {}),
          ...(run.options.allowCommands ? { allowCommands: true } : {}),
        },
        ...(signal.aborted ? { aborted: String(signal.reason ?? 'abort') } : {}),
      };
      const { port1: inbox, port2 } = new MessageChannel();
      const worker = new Worker(run.options.workerEntry ?? shardWorkerEntry(), {
        workerData: { ...input, port: port2 },
        transferList: [port2],
        resourceLimits: { maxYoungGenerationSizeMb: SHARD_YOUNG_GENERATION_MB },
      });
      const state: ShardState = { shard, worker, inbox, finished: new Set(), reported: new Map(), pending: new Map(), ended: false };
      states.push(state);
      // A worker sends its messages in batches, in order (shard-worker.ts).
      inbox.on('message', (batch: FromWorker[]) => {
        received(state, batch);
        drain();
      });
      // A worker that died may have posted batches its 'error' or 'exit' overtook: they are taken first, so the
      // stop comes behind everything it said (a cleanup it registered is known, a check it reported not redone).
      worker.on('error', (err) => {
        takeWaiting(state);
        queue.push({ from: state, stopped: `it failed (${err?.message ?? String(err)})` });
        drain();
      });
      worker.on('exit', (code) => {
        takeWaiting(state);
        inbox.close();
        queue.push({ from: state, stopped: `it exited (code ${code})` });
        drain();
      });
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A cleanup the worker registered and never reported: failed, with the state it leaves and how to restore it by hand. */
function unknownCleanup(
  c: PendingCleanup,
  summary: ProfileSummary,
  loaded: ProfileEntry['loaded'],
  detail: string,
  redact: (s: string) => string,
): CleanupRecord {
  const r = c.restores!;
  return {
    profile: summary.keyName,
    check: c.checkId,
    key: redact(r.key.name),
    ...(r.key.id ? { keyId: redact(r.key.id) } : {}),
    subject: r.subject,
    action: r.action,
    outcome: 'failed',
    detail,
    leftState: `${r.leftState}, unless the cleanup ran before its thread stopped`,
    restore: redact(restoreInstruction(loaded.profile, r.action, r.key)),
  };
}

/**
 * The worker's script beside this file in the build. Under a test runner that
 * compiles src/*.ts on the fly there is none beside it: the built one in
 * dist/ is used (tests build first).
 */
function shardWorkerEntry(): URL {
  if (import.meta.url.endsWith('.ts')) return pathToFileURL(join(PACKAGE_ROOT, 'dist', 'runner', 'shard-worker.js'));
  return new URL('./shard-worker.js', import.meta.url);
}
