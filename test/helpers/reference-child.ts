// The demo's reference target (src/demo/seed.ts, from the build in dist/) in a
// process of its own. A test that spawns keyprobe children side by side keeps
// its targets off its own event loop: in the vitest worker, five targets
// shared one loop with the test's own work and, at load 10–16, a target
// answered nothing within keyprobe's 5 s timeout. The child prints the demo's
// environment and secrets as one JSON line on stdout (a pipe to this process
// only), answers a line `keys` on stdin with a JSON line of its keys, and
// closes when its stdin does.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { DemoEnv } from '../../src/demo/seed.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { KeyView } from '../../src/reference/index.js';

export interface ReferenceChild {
  /** The variables the demo profile references (its origin and secrets among them). */
  readonly env: DemoEnv;
  /** Every secret the demo made, for the leak scan. */
  readonly secrets: readonly string[];
  /** The target's keys as it holds them now. */
  listKeys(): Promise<KeyView[]>;
  close(): Promise<void>;
}

const SEED = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'demo', 'seed.js')).href;

const script = (faults: readonly string[]) => `
  import { createInterface } from 'node:readline';
  const { startDemo } = await import(${JSON.stringify(SEED)});
  const demo = await startDemo(${JSON.stringify(faults)});
  process.stdout.write(JSON.stringify({ env: demo.env, secrets: demo.secrets }) + '\\n');
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line === 'keys') process.stdout.write(JSON.stringify(demo.target.listKeys()) + '\\n');
  });
  commands.on('close', () => void demo.target.close().then(() => process.exit(0)));`;

/** Starts the demo's target with `faults` in a child process; rejects if the child exits before it is up. */
export async function startReferenceChild(faults: readonly string[] = []): Promise<ReferenceChild> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script(faults)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // One answer per request, in order: the test asks for the keys only between runs.
  const waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let gone: Error | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code, signal) => {
    gone = new Error(`the reference target's process exited (${signal ?? `code ${code}`}): ${stderr.slice(0, 500)}`);
    for (const w of waiting.splice(0)) w.reject(gone);
  });
  const nextLine = () => new Promise<string>((resolve, reject) => (gone ? reject(gone) : waiting.push({ resolve, reject })));

  const { env, secrets } = JSON.parse(await nextLine()) as { env: DemoEnv; secrets: string[] };
  return {
    env,
    secrets,
    listKeys: async () => {
      if (child.stdin.writableEnded) throw gone ?? new Error("the reference target's process was closed");
      const answer = nextLine();
      child.stdin.write('keys\n');
      return JSON.parse(await answer) as KeyView[];
    },
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.stdin.end();
        // A target that does not close within 3 s is killed: the test must not hang on it.
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
