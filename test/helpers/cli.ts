// Runs the CLI in-process, capturing what it prints and its exit code.
import { main } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; signal?: AbortSignal } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env: { ...(opts.env ?? { PATH: process.env.PATH }), NO_COLOR: '1' },
    cwd: opts.cwd ?? process.cwd(),
    signal: opts.signal,
  });
  return { code, stdout, stderr };
}
