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
const port = parentPort!;
const learnedCount = new Int32Array(input.learned);

/** Sends a message stamped with how many secrets the workers had sent when it was sent (shard-messages.ts). */
function post(message: FromWorker extends infer M ? (M extends { seen: number } ? Omit<M, 'seen'> : never) : never): void {
  port.postMessage({ ...message, seen: Atomics.load(learnedCount, 0) });
}

// The run's profile secrets first, in the main thread's order (the same labels); then every secret learnt here
// goes to the main thread before add() returns, and is counted once it has been sent.
const secrets = new SecretRegistry();
for (const [secret, label] of input.secrets) secrets.add(secret, label);
let relayed = false;
secrets.onLearn((secret, label) => {
  if (relayed) return;
  port.postMessage({ t: 'secret', secret, label } satisfies FromWorker);
  Atomics.add(learnedCount, 0, 1);
});

const controller = new AbortController();
if (input.aborted !== undefined) controller.abort(input.aborted);
port.on('message', (m: ToWorker) => {
  if (m.t === 'abort') controller.abort(m.reason);
  else {
    // Another worker's: the main thread knows it already.
    relayed = true;
    try {
      secrets.add(m.secret, m.label);
    } finally {
      relayed = false;
    }
  }
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
    check: (index, position, result) => post({ t: 'check', index, position, result }),
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
      post({ t: 'cleanup-added', task: number, cleanup: { index: entry.index, checkId, label: task.label, ...restores } });
    },
    dropped(task) {
      const number = taskNumbers.get(task);
      if (number !== undefined) post({ t: 'cleanup-dropped', task: number });
    },
  }),
});
post({ t: 'done' });
