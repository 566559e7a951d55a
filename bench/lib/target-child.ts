// Starts lib/target-process in a child and hands back its origin (and, for
// the demo's target, the generated profiles and a way to read its counters).
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TargetProcessStats } from './target-process.js';

export interface TargetChild {
  readonly origin: string;
  /** Its counters (requests, connections, its own CPU time) since the last reset. */
  stats(): Promise<TargetProcessStats>;
  resetStats(): void;
  close(): Promise<void>;
}

export interface DemoTargetChild extends TargetChild {
  /** The generated profile files and the variables they reference. */
  readonly files: string[];
  readonly env: Record<string, string>;
  readonly pid: number;
}

const SCRIPT = fileURLToPath(new URL('./target-process.js', import.meta.url));

export async function startTargetChild(): Promise<TargetChild> {
  const { child, lines } = spawnTarget([]);
  const origin = (await lines.next()).trim();
  return { origin, ...counters(child, lines), close: () => closeChild(child) };
}

/**
 * The demo's reference target with `profiles` generated profiles written to
 * `dir`, in a process of its own. `nodeArgs` go before the script (e.g.
 * `--cpu-prof`).
 */
export async function startDemoTargetChild(profiles: number, dir: string, nodeArgs: readonly string[] = []): Promise<DemoTargetChild> {
  const { child, lines } = spawnTarget([...nodeArgs, SCRIPT, '--demo', String(profiles), dir]);
  const first = JSON.parse(await lines.next()) as { origin: string; files: string[]; env: Record<string, string> };
  return {
    ...first,
    pid: child.pid!,
    ...counters(child, lines),
    close: () => closeChild(child),
  };
}

/** The `stats` and `reset` lines lib/target-process.ts answers on its stdin. */
function counters(child: ChildProcessByStdio<Writable, Readable, null>, lines: { next(): Promise<string> }) {
  return {
    stats: async () => {
      child.stdin.write('stats\n');
      return JSON.parse(await lines.next()) as TargetProcessStats;
    },
    resetStats: () => {
      child.stdin.write('reset\n');
    },
  };
}

/** The child, and its stdout line by line (one reader; an early exit rejects the next line). */
function spawnTarget(args: readonly string[]) {
  const child = spawn(process.execPath, args.length > 0 ? args : [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pending: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  const ready: string[] = [];
  let failure: Error | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiting = pending.shift();
    if (waiting) waiting.resolve(line);
    else ready.push(line);
  });
  const fail = (err: Error) => {
    failure = err;
    for (const w of pending.splice(0)) w.reject(err);
  };
  child.once('error', fail);
  child.once('exit', (code) => fail(new Error(`the reference target process exited (code ${code})`)));
  const lines = {
    next: () =>
      new Promise<string>((resolve, reject) => {
        if (ready.length > 0) resolve(ready.shift()!);
        else if (failure) reject(failure);
        else pending.push({ resolve, reject });
      }),
  };
  return { child, lines };
}

function closeChild(child: ChildProcessByStdio<Writable, Readable, null>): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.stdin.end();
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
