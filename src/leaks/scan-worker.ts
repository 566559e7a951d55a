// A leak-scan worker thread (started by scan-workers.ts). It makes its own
// LeakScanner from the run's secrets and the main thread's window index,
// handed over in memory as workerData (never written anywhere; the index in
// shared memory, not copied), and searches the parts of files it is sent, one
// task at a time, answering each with its findings or with why it could not.
import { parentPort, workerData } from 'node:worker_threads';
import { answer, type ScanReply, type ScanTask } from './scan-workers.js';
import { LeakScanner, type SharedScanner } from './scanner.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.js runs as a worker thread of keyprobe');

const scanner = LeakScanner.fromShared(workerData as SharedScanner);

port.on('message', (task: ScanTask) => {
  answer(scanner, task).then(
    (reply) => port.postMessage(reply),
    (err: unknown) =>
      port.postMessage({
        id: task.id,
        error: { message: err instanceof Error ? err.message : String(err), code: (err as NodeJS.ErrnoException)?.code },
      } satisfies ScanReply),
  );
});
