// What the main thread and a shard's worker thread (src/runner/shards.ts,
// src/runner/shard-worker.ts) tell each other. Everything is plain data
// (structured clone): results already redacted by the worker, and the secrets
// the worker learns, in memory only.
import type { CleanupRecord, Preflight, ProfileRun, ProfileSummary } from '../result.js';
import type { Restoration } from '../lifecycle/cleanup.js';
import type { MessagePort } from 'node:worker_threads';

/** A planned check as data: the worker looks the check up in the catalogue by id. */
export interface PlannedCheckData {
  readonly id: string;
  readonly gating: boolean;
  readonly required?: boolean;
  readonly params: unknown;
}

/** A loaded profile as data: `text` is the file as read, for the worker's own locate (findings as file:line). */
export interface ProfileData {
  readonly index: number;
  readonly summary: ProfileSummary;
  readonly file: string;
  readonly digest: string;
  readonly profile: unknown;
  readonly secrets: readonly string[];
  readonly ca?: string;
  readonly text?: string;
}

/** The worker's workerData. */
export interface ShardInput {
  /**
   * Where the worker posts everything it tells the main thread (FromWorker
   * batches): a port of its own, so that when the worker dies the main thread
   * can take every batch it had posted off the port at once
   * (receiveMessageOnPort), before it acts on the death; the worker's 'error'
   * and 'exit' events may otherwise overtake them.
   */
  readonly port: MessagePort;
  readonly profiles: readonly ProfileData[];
  readonly plan: readonly PlannedCheckData[];
  /** This shard's share of --concurrency. */
  readonly concurrency: number;
  /** The secrets of this shard's profiles with their labels, in the order the main thread registered them (the same labels). */
  readonly secrets: readonly (readonly [string, string])[];
  /**
   * One Int32: how many secrets the workers have sent the main thread so far.
   * A worker adds one after each secret it sends, and stamps every other
   * message with the count it read (`seen`): the main thread handles a message
   * only once it has handled that many secrets (from any worker), so a line
   * holding a secret another thread learnt is never screened before the
   * screen knows it.
   */
  readonly learned: SharedArrayBuffer;
  readonly options: {
    readonly budget?: number;
    readonly ca?: string;
    readonly env?: NodeJS.ProcessEnv;
    readonly allowCommands?: boolean;
  };
  /** The run was interrupted before this worker started. */
  readonly aborted?: string;
}

/** A cleanup task as the main thread keeps it until its check reports (without the key's secret). */
export interface PendingCleanup {
  readonly index: number;
  readonly checkId: string;
  readonly label: string;
  readonly restores?: Omit<Restoration, 'secret'>;
}

export type FromWorker =
  | { readonly t: 'secret'; readonly secret: string; readonly label: string }
  | { readonly t: 'started'; readonly seen: number; readonly index: number; readonly check: { id: string; title: string } }
  | { readonly t: 'progress'; readonly seen: number; readonly index: number; readonly checkId: string; readonly text: string }
  | { readonly t: 'preflight'; readonly seen: number; readonly index: number; readonly preflight: Preflight }
  /** The result as JSON: a structured clone of a check's evidence cost far more (measured: 2.5 s of a worker's 22 s for 100 profiles). */
  | { readonly t: 'check'; readonly seen: number; readonly index: number; readonly position: number; readonly json: string }
  | { readonly t: 'profile'; readonly seen: number; readonly index: number; readonly run: Omit<ProfileRun, 'checks'> }
  | { readonly t: 'cleanup'; readonly seen: number; readonly record: CleanupRecord }
  | { readonly t: 'cleanup-added'; readonly seen: number; readonly task: number; readonly cleanup: PendingCleanup }
  | { readonly t: 'cleanup-dropped'; readonly seen: number; readonly task: number }
  | { readonly t: 'done'; readonly seen: number };

export type ToWorker = { readonly t: 'abort'; readonly reason: string };
