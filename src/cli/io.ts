// What the CLI reads and writes, passed in so tests can run it in-process.
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Aborted on SIGINT/SIGTERM by the bin; tests abort it themselves. */
  readonly signal?: AbortSignal;
  /** For manual lifecycle steps; absent means no TTY. */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export function processIo(signal?: AbortSignal): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal, stdin: process.stdin };
}
