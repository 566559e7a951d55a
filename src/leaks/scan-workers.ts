// The leak scan on worker threads (issue #15): the reports of a thousand
// profiles are hundreds of megabytes, and searching them on the main thread
// left the second core idle while the main thread waited. Here a file is cut
// into parts of whole chunks (the chunks LeakScanner.scanFile searches), the
// parts are searched by a few worker threads at once, and their findings are
// joined as scanFile joins its chunks': the same findings, in the same order.
//
// Fail closed: a part whose worker cannot start, throws, dies or does not
// answer in time rejects its file's scan, and the caller (withholdLeaks)
// replaces that file by a note; it is never published unscanned.
import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../paths.js';
import { fileChunkCount, type LeakFinding, type LeakScanner, mergeChunkFindings } from './scanner.js';

/** A task for a worker: some chunks of a file read as Latin-1, or a whole file's UTF-8 reading. */
export type ScanTask =
  | {
      readonly id: number;
      readonly kind: 'chunks';
      readonly path: string;
      readonly size: number;
      readonly first: number;
      readonly end: number;
    }
  | { readonly id: number; readonly kind: 'utf8'; readonly path: string };

/** A worker's answer: a list of findings per chunk, the UTF-8 reading's findings (null: not UTF-8), or why it failed. */
export type ScanReply =
  | { readonly id: number; readonly chunks: LeakFinding[][] }
  | { readonly id: number; readonly findings: LeakFinding[] | null }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string } };

export interface ScanWorkerOptions {
  /** Worker threads at most (default: one per core but the main thread's, at least one, up to MAX_THREADS). */
  readonly threads?: number;
  /** A part not answered within this many milliseconds is given up, and its file with it. */
  readonly timeoutMs?: number;
  /** The worker's module (the built scan-worker.js; tests swap in one that misbehaves). */
  readonly workerFile?: string;
  /** Chunks a part holds (tests make parts of one chunk, to cut small files into many). */
  readonly partChunks?: number;
}

/** Chunks of 512 KiB per part: ~8 MB, so the parts of the last, largest report keep every thread busy to the end. */
const PART_CHUNKS = 16;
const MAX_THREADS = 4;
/** A part takes well under a second on a quiet core; this is for a worker that hangs, not for a slow machine. */
const DEFAULT_TIMEOUT_MS = 120_000;
const WORKER_YOUNG_GENERATION_MB = 4;
/** The built worker: tests run src/ but a worker thread runs JavaScript (the build comes before the tests). */
const WORKER_FILE = join(PACKAGE_ROOT, 'dist', 'leaks', 'scan-worker.js');

type TaskInput = ScanTask extends infer T ? (T extends ScanTask ? Omit<T, 'id'> : never) : never;

interface Job {
  readonly task: ScanTask;
  readonly resolve: (reply: ScanReply) => void;
  readonly reject: (err: Error) => void;
}

interface Thread {
  readonly worker: Worker;
  job?: Job;
  timer?: NodeJS.Timeout;
}

export class ScanWorkers {
  private readonly threads: Set<Thread> = new Set();
  private readonly queue: Job[] = [];
  private readonly maxThreads: number;
  private readonly timeoutMs: number;
  private readonly workerFile: string;
  private readonly partChunks: number;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly scanner: LeakScanner,
    opts: ScanWorkerOptions = {},
  ) {
    // The main thread keeps a core to render the reports, and scans beside the workers once it has (helpOnThisThread):
    // a worker more would only add its memory (its heap and the scanner's patterns; the window index it reads is the main thread's, shared).
    this.maxThreads = Math.max(1, opts.threads ?? Math.min(MAX_THREADS, availableParallelism() - 1));
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.workerFile = opts.workerFile ?? WORKER_FILE;
    this.partChunks = Math.max(1, opts.partChunks ?? PART_CHUNKS);
  }

  /** What LeakScanner.scanFile finds in the file, searched on the worker threads. */
  async scanFile(path: string): Promise<LeakFinding[]> {
    const { size } = await stat(path);
    const chunks = fileChunkCount(size);
    const parts: Promise<LeakFinding[][]>[] = [];
    for (let first = 0; first < chunks; first += this.partChunks) {
      const end = Math.min(chunks, first + this.partChunks);
      parts.push(this.run({ kind: 'chunks', path, size, first, end }).then((r) => ('chunks' in r ? r.chunks : unexpected(r))));
    }
    const found = mergeChunkFindings((await Promise.all(parts)).flat());
    if (!this.scanner.needsUtf8Reading || found.length > 0) return found;
    const utf8 = await this.run({ kind: 'utf8', path });
    if (!('findings' in utf8)) return unexpected(utf8);
    return utf8.findings ?? found;
  }

  /**
   * Starts the worker threads now, before any file is written: each loads
   * its module and builds its scanner (thousands of secrets in a big run)
   * while the main thread renders the first report, not after it.
   */
  warmUp(): void {
    while (!this.closed && this.threads.size < this.maxThreads) {
      const thread = this.start();
      if (thread instanceof Error) return;
      // Idle until a scan is handed to it: it must not hold the process.
      thread.worker.unref();
    }
  }

  /**
   * Searches the parts still waiting for a worker here, on the calling
   * thread, until none is left. For when that thread has nothing else to do
   * (every report is written): the last report's parts are then searched on
   * every core, with no worker (and no copy of the scanner) more than the
   * cores the main thread leaves free. The same scanner, so the same findings.
   */
  async helpOnThisThread(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      try {
        job.resolve(await answer(this.scanner, job.task));
      } catch (err) {
        job.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /** Stops every worker; a scan still waiting is rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the leak scan was stopped'));
    await Promise.all([...this.threads].map((t) => this.stop(t, new Error('the leak scan was stopped'))));
  }

  private run(input: TaskInput): Promise<ScanReply> {
    if (this.closed) return Promise.reject(new Error('the leak scan was stopped'));
    const task = { ...input, id: this.nextId++ } as ScanTask;
    return new Promise<ScanReply>((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    }).then((reply) => {
      if ('error' in reply) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      return reply;
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const idle = [...this.threads].find((t) => !t.job);
      if (!idle && this.threads.size >= this.maxThreads) return;
      const thread = idle ?? this.start();
      const job = this.queue.shift()!;
      if (thread instanceof Error) job.reject(thread);
      else this.assign(thread, job);
    }
  }

  /** A new worker thread, or why it could not be made (the job meant for it fails). */
  private start(): Thread | Error {
    let worker: Worker;
    try {
      worker = new Worker(this.workerFile, {
        workerData: this.scanner.shared(),
        // A worker's garbage is its chunks' decoded views, dead as soon as the chunk is searched: a small young
        // generation collects them early. Publishing a 200-profile run peaked at ~310 MB RSS with V8's default
        // and ~250 MB with this (~230 MB with no workers), for no more CPU time.
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
    } catch (err) {
      return new Error(`the leak scan's worker thread could not start: ${messageOf(err)}`);
    }
    const thread: Thread = { worker };
    this.threads.add(thread);
    worker.on('message', (reply: ScanReply) => {
      const job = thread.job;
      if (!job || reply.id !== job.task.id) return;
      this.finish(thread);
      job.resolve(reply);
      this.dispatch();
    });
    // An uncaught exception in the worker, or a module that would not load; 'exit' follows, so it takes no new job.
    worker.on('error', (err) => {
      this.threads.delete(thread);
      this.fail(thread, new Error(`the leak scan's worker thread failed: ${messageOf(err)}`));
    });
    worker.on('exit', (code) => {
      this.fail(thread, new Error(`the leak scan's worker thread stopped (exit code ${code}) before it answered`));
      this.threads.delete(thread);
      // A replacement takes the scans still waiting.
      if (!this.closed) this.dispatch();
    });
    return thread;
  }

  private assign(thread: Thread, job: Job): void {
    thread.job = job;
    // Held while it works, so the process waits for the answer; let go while idle, so a forgotten pool never holds the process.
    thread.worker.ref();
    thread.timer = setTimeout(() => {
      void this.stop(thread, new Error(`the leak scan's worker thread did not answer within ${this.timeoutMs / 1000} s`));
    }, this.timeoutMs);
    thread.worker.postMessage(job.task);
  }

  private finish(thread: Thread): void {
    clearTimeout(thread.timer);
    thread.job = undefined;
    thread.worker.unref();
  }

  /** The thread's job (if any) fails with `err`. */
  private fail(thread: Thread, err: Error): void {
    const job = thread.job;
    if (!job) return;
    this.finish(thread);
    job.reject(err);
  }

  private async stop(thread: Thread, err: Error): Promise<void> {
    this.fail(thread, err);
    this.threads.delete(thread);
    await thread.worker.terminate();
    if (!this.closed) this.dispatch();
  }
}

/** A task's answer from `scanner`: what a worker answers, on whichever thread calls it. */
export async function answer(scanner: LeakScanner, task: ScanTask): Promise<ScanReply> {
  if (task.kind === 'chunks') return { id: task.id, chunks: await scanner.scanFileChunks(task.path, task.size, task.first, task.end) };
  return { id: task.id, findings: (await scanner.scanFileAsUtf8(task.path)) ?? null };
}

function unexpected(reply: ScanReply): never {
  throw new Error(`the leak scan's worker thread answered out of turn (${Object.keys(reply).join(', ')})`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
