// Child processes timed from spawn to exit, optionally with their peak
// resident memory and CPU time (getrusage, written by rss-hook at exit).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak RSS in bytes, when asked for. */
  readonly peakRss?: number;
  /** The child's CPU time (user + system) in ms, with peakRss. */
  readonly cpuMs?: number;
  /** The child's event loop delay over its life (99th percentile and most, ms), with peakRss. */
  readonly loopDelay?: { readonly p99Ms: number; readonly maxMs: number };
}

const RSS_HOOK = fileURLToPath(new URL('./rss-hook.js', import.meta.url));

export async function timedSpawn(
  command: string,
  args: readonly string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    peakRss?: boolean;
    timeoutMs?: number;
    onSpawn?: (pid: number) => void;
    /** Node options put before everything else (e.g. --cpu-prof). */
    nodeArgs?: readonly string[];
  } = {},
): Promise<Timed> {
  const rssFile = opts.peakRss
    ? join(tmpdir(), `keyprobe-bench-rss-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`)
    : undefined;
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  const finalArgs = [...args];
  if (rssFile) {
    // Only for node children: load the hook before the program itself.
    finalArgs.unshift('--import', pathToFileURL(RSS_HOOK).href);
    env.KEYPROBE_BENCH_RSS_FILE = rssFile;
  }
  finalArgs.unshift(...(opts.nodeArgs ?? []));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, finalArgs, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', reject);
    let ms = 0;
    child.once('exit', () => {
      ms = performance.now() - t0;
    });
    // 'close' comes after 'exit', once the child's output is fully read.
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      let peakRss: number | undefined;
      let cpuMs: number | undefined;
      let loopDelay: Timed['loopDelay'];
      if (rssFile) {
        try {
          const [rss, cpuUs, p99Ms, maxMs] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
          peakRss = rss;
          cpuMs = cpuUs! / 1000;
          loopDelay = { p99Ms: p99Ms!, maxMs: maxMs! };
        } catch {
          peakRss = undefined;
        }
        rmSync(rssFile, { force: true });
      }
      resolve({
        ms,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(peakRss !== undefined ? { peakRss } : {}),
        ...(cpuMs !== undefined ? { cpuMs } : {}),
        ...(loopDelay ? { loopDelay } : {}),
      });
    });
  });
}

/** A process's current resident memory in bytes (Linux /proc), or undefined where that cannot be read. */
export function currentRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
