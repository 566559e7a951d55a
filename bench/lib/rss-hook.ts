// Loaded with `node --import` into a child whose peak memory we measure: at
// exit it writes, separated by spaces, getrusage's maxRSS (KiB on Linux) as
// bytes, the CPU time the process used (user + system) in microseconds, and
// its event loop's delay (99th percentile and most, in ms) to the file named
// by KEYPROBE_BENCH_RSS_FILE. Nothing else changes in the child.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.KEYPROBE_BENCH_RSS_FILE;
if (file) {
  // Resolution 1 ms: the delays that matter to a check (a probe sent late) are tens of milliseconds.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    writeFileSync(
      file,
      `${usage.maxRSS * 1024} ${usage.userCPUTime + usage.systemCPUTime} ${ms(loopDelay.percentile(99))} ${ms(loopDelay.max)}`,
    );
  });
}
