// One shard of a big run, on a worker thread of its own (src/runner/shards.ts
// starts it): runProfiles on the shard's profiles, exactly as a
// single-threaded run runs them, with everything it would hand the run's
// sink, observer and registry sent to the main thread instead.
import { parentPort, workerData } from 'node:worker_threads';
import { findCheck } from '../checks/index.js';
import type { PlannedCheck } from '../checks/suite.js';
import type { LoadedProfile } from '../config/load-profile.js';
import { locateFromText } from '../config/yaml-source.js';
import type { CleanupTask } from '../lifecycle/cleanup.js';
import type { ProfileSummary } from '../result.js';
import { SecretRegistry } from '../secrets.js';
import type { RunObserver } from './observer.js';
import { runProfiles, type ProfileEntry } from './run.js';
import type { FromWorker, ShardInput, ToWorker } from './shard-messages.js';

const input = workerData as ShardInput;
// Batches to the main thread go on the run's own port (shard-messages.ts); an interrupt comes on parentPort.
const port = input.port;
const learnedCount = new Int32Array(input.learned);

/**
 * Messages wait here until the end of the current turn of the event loop and
 * go as one batch: each postMessage costs about as much as a small check's
 * own work (measured: 0.3-0.6 ms a message, some 3 s of a worker's 33 s for
 * 100 profiles, one message each). What must not be lost if the thread dies
 * the next moment, or must reach the main thread before the value can be
 * used (a secret, a cleanup task), goes at once, behind the batch so far.
 */
let batch: FromWorker[] = [];
function flush(): void {
  if (batch.length === 0) return;
  port.postMessage(batch);
  batch = [];
}

type Unstamped = FromWorker extends infer M ? (M extends { seen: number } ? Omit<M, 'seen'> : never) : never;

/** Sends a message stamped with how many secrets the workers had sent when it was made (shard-messages.ts). */
function post(message: Unstamped, now = false): void {
  if (batch.length === 0 && !now) setImmediate(flush);
  batch.push({ ...message, seen: Atomics.load(learnedCount, 0) } as FromWorker);
  if (now) flush();
}

// The shard's profile secrets first, in the main thread's order (the same labels); then every secret learnt here
// goes to the main thread before add() returns, and is counted once it has been sent.
const secrets = new SecretRegistry();
for (const [secret, label] of input.secrets) secrets.add(secret, label);
secrets.onLearn((secret, label) => {
  batch.push({ t: 'secret', secret, label });
  flush();
  Atomics.add(learnedCount, 0, 1);
});

const controller = new AbortController();
if (input.aborted !== undefined) controller.abort(input.aborted);
parentPort!.on('message', (m: ToWorker) => {
  if (m.t === 'abort') controller.abort(m.reason);
});

const plan: PlannedCheck[] = input.plan.map((p) => {
  const check = findCheck(p.id);
  if (!check) throw new Error(`check ${p.id} is not in this build's catalogue`);
  return { check, gating: p.gating, ...(p.required ? { required: true } : {}), params: p.params };
});
const entries: ProfileEntry[] = input.profiles.map((p) => ({
  index: p.index,
  summary: p.summary,
  loaded: {
    file: p.file,
    digest: p.digest,
    profile: p.profile as LoadedProfile['profile'],
    secrets: p.secrets,
    ...(p.ca !== undefined ? { ca: p.ca } : {}),
    ...(p.text !== undefined ? { text: p.text, locate: locateFromText({ file: p.file, text: p.text }) } : {}),
  },
}));
const indexOf = new Map<ProfileSummary, number>(entries.map((e) => [e.summary, e.index]));
const at = (summary: ProfileSummary) => indexOf.get(summary)!;

const observer: Required<RunObserver> = {
  // The run's start and end, and each check's result (sent with the result itself), are the main thread's to tell.
  runStarted: () => undefined,
  runFinished: () => undefined,
  checkFinished: () => undefined,
  preflightFinished: (summary, preflight) => post({ t: 'preflight', index: at(summary), preflight }),
  checkStarted: (summary, check) => post({ t: 'started', index: at(summary), check }),
  checkProgress: (summary, checkId, text) => post({ t: 'progress', index: at(summary), checkId, text }),
};

let tasks = 0;
const taskNumbers = new WeakMap<CleanupTask, number>();

await runProfiles(entries, plan, {
  ...input.options,
  secrets,
  signal: controller.signal,
  observer,
  concurrency: input.concurrency,
  sink: {
    check: (index, position, result) => post({ t: 'check', index, position, json: JSON.stringify(result) }),
    profile: (index, run) => post({ t: 'profile', index, run }),
    cleanup: (record) => post({ t: 'cleanup', record }),
  },
  watchCleanups: (entry, checkId) => ({
    added(task) {
      const number = ++tasks;
      taskNumbers.set(task, number);
      // What it restores, without the key's secret (the main thread only names the key).
      const r = task.restores;
      const restores = r ? { restores: { key: r.key, subject: r.subject, action: r.action, leftState: r.leftState } } : {};
      post({ t: 'cleanup-added', task: number, cleanup: { index: entry.index, checkId, label: task.label, ...restores } }, true);
    },
    dropped(task) {
      const number = taskNumbers.get(task);
      if (number !== undefined) post({ t: 'cleanup-dropped', task: number });
    },
  }),
});
post({ t: 'done' }, true);
