// Loaded with `node --import` into a child whose peak memory we measure: at
// exit it writes getrusage's maxRSS (KiB on Linux) as bytes, and the CPU time
// the process used (user + system) in microseconds, separated by a space, to
// the file named by KEYPROBE_BENCH_RSS_FILE. Nothing else changes in the child.
import { writeFileSync } from 'node:fs';

const file = process.env.KEYPROBE_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `${usage.maxRSS * 1024} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
