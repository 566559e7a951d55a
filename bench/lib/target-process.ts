// A reference target in a process of its own, so a load generator (or a
// keyprobe child) and the server each get a core. Prints its origin as the
// first line of stdout, then serves until its stdin closes.
//
// With `--demo N DIR` it is the demo's target instead (src/demo/seed.ts), with
// N generated profiles written to DIR (lib/generated-profiles.ts); its first
// line is then JSON: { origin, files, env }. It answers a line `stats` on
// stdin with a JSON line of its request counters, its own CPU time and its
// event loop's delay, and `reset` by zeroing those.
import { subscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { generateProfiles } from './generated-profiles.js';
import { fromDist, type ReferenceModule, type ReferenceTarget, type SeedModule } from './keyprobe.js';

const demoAt = process.argv.indexOf('--demo');
let target: ReferenceTarget;
if (demoAt < 0) {
  const { startReferenceTarget } = await fromDist<ReferenceModule>('reference/index.js');
  target = await startReferenceTarget();
  process.stdout.write(`${target.origin}\n`);
} else {
  const { startDemo } = await fromDist<SeedModule>('demo/seed.js');
  const demo = await startDemo();
  target = demo.target;
  const generated = generateProfiles(target, demo.env, Number(process.argv[demoAt + 1]), process.argv[demoAt + 2]!);
  process.stdout.write(`${JSON.stringify({ origin: target.origin, files: generated.files, env: generated.env })}\n`);
}

// Resolution 1 ms: the delays worth seeing here are tens of milliseconds.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let cpuFrom = process.cpuUsage();
// Connections the target accepted: every one is a connect() on keyprobe's side too.
let connections = 0;
subscribe('net.server.socket', () => {
  connections++;
});

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line === 'reset') {
    target.resetStats();
    connections = 0;
    loopDelay.reset();
    cpuFrom = process.cpuUsage();
  } else if (line === 'stats') {
    const cpu = process.cpuUsage(cpuFrom);
    const stats: TargetProcessStats = {
      requests: target.stats().requests,
      connections,
      cpuMs: (cpu.user + cpu.system) / 1000,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
    };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
});
commands.on('close', () => {
  void target.close().then(() => process.exit(0));
});

/** What the process answers to `stats` (lib/target-child.ts reads it). */
export interface TargetProcessStats {
  /** Non-admin requests the target counted since the last reset. */
  readonly requests: number;
  /** Connections it accepted since the last reset. */
  readonly connections: number;
  /** The target process's CPU time (user + system) since the last reset. */
  readonly cpuMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}
