#!/usr/bin/env node
// The bin: wires the process to the CLI. SIGINT/SIGTERM abort the run (it
// still writes partial reports and cleans up); a second signal exits at once.
import { main } from './cli/main.js';
import { processIo } from './cli/io.js';

// A reader that goes away (`keyprobe list | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\nkeyprobe: ${sig} received — finishing up (cleanup and partial reports); send again to quit at once\n`);
    controller.abort(sig);
  });
}

process.exitCode = await main(process.argv.slice(2), processIo(controller.signal));

// main() has returned: the verdict is printed and the reports are written. A handle some
// code path failed to close (a socket, a timer) must not keep the process alive after that,
// so a grace period for stdout and stderr to drain, and then exit with the code main() gave.
setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
