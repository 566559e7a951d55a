// Loaded with `node --import` into a child whose peak memory we measure: at
// exit it writes getrusage's maxRSS (KiB on Linux) as bytes to the file named
// by KEYPROBE_BENCH_RSS_FILE. Nothing else changes in the child.
import { writeFileSync } from 'node:fs';

const file = process.env.KEYPROBE_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
