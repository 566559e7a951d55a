// Typed errors. The CLI maps them to exit codes in one place (src/cli/exit.ts);
// nothing else in keyprobe decides an exit code or calls process.exit.

export const EXIT = {
  /** Every gating check passed. */
  pass: 0,
  /** A gating check failed. */
  fail: 1,
  /** Bad usage, or a bad profile or suite. */
  usage: 2,
  /** No failure, but a gating check could not be verified. */
  unverified: 3,
  /** A secret was found in an output file. */
  secretLeak: 4,
} as const;

/** One located problem in a profile, suite or other input file. */
export interface ConfigProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted field path, e.g. `denied[2].statuses`. Empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

/** Bad command-line usage (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A profile, suite or other input file is invalid (exit 2); lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** A check could not verify what it set out to verify: its verdict is `error`. */
export class CheckError extends Error {
  override name = 'CheckError';
}

/**
 * A request that got no (complete) answer: the network failed or the target
 * timed out. Lifecycle actions read `transient` (worth another try) and
 * `mayHaveArrived` (false only when no connection was ever made, so nothing
 * was sent) to decide whether a retry is safe.
 */
export class NoAnswerError extends CheckError {
  override name = 'NoAnswerError';
  constructor(
    message: string,
    readonly transient: boolean,
    readonly mayHaveArrived: boolean,
    /** An answer came but could not be parsed as HTTP (src/http/network-errors.ts): the target was reached. */
    readonly malformed = false,
  ) {
    super(message);
  }
}

/** The profile's request budget is spent: the check gives `error` naming the budget. */
export class BudgetExceededError extends CheckError {
  override name = 'BudgetExceededError';
  constructor(readonly budget: number) {
    super(`request budget of ${budget} requests is spent; raise target.budget (or --budget) to verify this check`);
  }
}

/** One throttled answer a request got, and the wait keyprobe made after it (none after the last). */
export interface ThrottledTry {
  readonly status: number;
  readonly waitMs?: number;
}

/**
 * The target kept answering "slow down" (429, a declared throttling status,
 * or 503 with Retry-After) after the HTTP client had waited and asked again
 * the bounded number of times (src/http/throttle.ts): nothing could be judged,
 * so the verdict is `error`, never pass or fail.
 *
 * Contract for callers that retry on their own (the lifecycle adapters retry
 * connection errors and 5xx): HttpClient.send has already waited throttles
 * out by the time this is thrown, so catch it and give up — retrying it again
 * would double every wait. `detail` is the message without its "throttled:
 * could not judge" prefix (for a caller that words its own failure);
 * `answers` are every throttled answer of the request, in order; `status`
 * and `headers` are the last answer's; headers are as received (not
 * redacted): keep them out of output.
 */
export class ThrottledError extends CheckError {
  override name = 'ThrottledError';
  constructor(
    readonly detail: string,
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly tries: number,
    readonly answers: readonly ThrottledTry[] = [{ status }],
  ) {
    super(`throttled: could not judge: ${detail}`);
  }
}

/** The run was interrupted (SIGINT/SIGTERM). */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
  }
}

/** keyprobe found one of its secrets in something it wrote (exit 4). */
export class SecretLeakError extends Error {
  override name = 'SecretLeakError';
  constructor(readonly files: readonly string[]) {
    super(`a secret was found in: ${files.join(', ')} (the secret itself is not shown)`);
  }
}
