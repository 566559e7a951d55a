// A leak-scan worker thread (started by scan-workers.ts). It builds its own
// LeakScanner from the run's secrets, handed over in memory as workerData
// (never written anywhere), and searches the parts of files it is sent, one
// task at a time, answering each with its findings or with why it could not.
import { parentPort, workerData } from 'node:worker_threads';
import type { ScanReply, ScanTask } from './scan-workers.js';
import { LeakScanner, type ScannedSecret } from './scanner.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.js runs as a worker thread of keyprobe');

const scanner = new LeakScanner();
for (const { secret, label } of (workerData as { secrets: ScannedSecret[] }).secrets) scanner.add(secret, label);

port.on('message', (task: ScanTask) => {
  answer(task).then(
    (reply) => port.postMessage(reply),
    (err: unknown) =>
      port.postMessage({
        id: task.id,
        error: { message: err instanceof Error ? err.message : String(err), code: (err as NodeJS.ErrnoException)?.code },
      } satisfies ScanReply),
  );
});

async function answer(task: ScanTask): Promise<ScanReply> {
  if (task.kind === 'chunks') return { id: task.id, chunks: await scanner.scanFileChunks(task.path, task.size, task.first, task.end) };
  return { id: task.id, findings: (await scanner.scanFileAsUtf8(task.path)) ?? null };
}
